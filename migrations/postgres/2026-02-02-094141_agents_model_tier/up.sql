-- agents_model_tier: PostgreSQL's version of this migration, the same version as migrations/sqlite/2026-02-02-094141_agents_model_tier.
-- Written from the declared structs; once applied anywhere, a migration must not change.

-- add column `agents`.`model_tier` (text DEFAULT 'cheap')
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
ALTER TABLE "agents" ADD COLUMN "model_tier" text DEFAULT 'cheap';
