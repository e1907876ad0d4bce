-- agents_model_tier: PostgreSQL's version of this migration, the same version as migrations/sqlite/2026-02-02-094141_agents_model_tier.
-- Written from the declared structs; once applied anywhere, a migration must not change.

-- drop column `agents`.`model_tier`
--   lock: ACCESS EXCLUSIVE on `agents` (reads and writes wait); changes the catalog only
ALTER TABLE "agents" DROP COLUMN "model_tier";
