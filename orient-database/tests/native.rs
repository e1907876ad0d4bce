//! `orient_database::native!`: a query written once, run on the engine's own connection, gives what
//! the same query through `db::DbConnection` gives, on each engine and in each build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use orient_database::db::{self, DbConnection};
use orient_database::schema::{Agent, NewAgent, agents};
use orient_database::testing::{Engine as TestEngine, MIGRATED, TestDb};

fn database_on(engine: orient_testkit::Engine) -> Option<TestDb> {
    let engine = match engine {
        orient_testkit::Engine::Sqlite => TestEngine::Sqlite,
        #[cfg(feature = "postgres")]
        orient_testkit::Engine::Postgres => TestEngine::Postgres,
        #[cfg(not(feature = "postgres"))]
        orient_testkit::Engine::Postgres => return None,
    };
    Some(TestDb::on(engine, &MIGRATED, "native").unwrap())
}

fn by_enum(conn: &mut DbConnection, id: &str) -> QueryResult<Agent> {
    agents::table
        .find(id)
        .select(Agent::as_select())
        .get_result(conn)
}

fn by_native(conn: &mut DbConnection, id: &str) -> QueryResult<Agent> {
    orient_database::native!(conn, |c| agents::table
        .find(id)
        .select(Agent::as_select())
        .get_result(c))
}

orient_testkit::on_each_engine! {
    fn native_reads_and_writes_what_the_enum_does(engine: Engine) {
        let Some(test_db) = database_on(engine) else { return };
        let db = test_db.db();
        // A write in `native!` inside db.transaction: committed with the transaction.
        db.transaction(|tx| {
            orient_database::native!(tx, |c| diesel::insert_into(agents::table)
                .values(&NewAgent::new("native-agent", "Native"))
                .execute(c))?;
            Ok::<_, db::Error>(())
        })
        .unwrap();
        let (native, through_enum) = db
            .read(|conn| Ok::<_, db::Error>((by_native(conn, "native-agent")?, by_enum(conn, "native-agent")?)))
            .unwrap();
        assert_eq!(native.id, "native-agent");
        assert_eq!(native.name, "Native");
        assert_eq!(format!("{native:?}"), format!("{through_enum:?}"));
        // The engine's own errors come back unchanged: a missing row is NotFound on both paths.
        let missing = db.read(|conn| Ok::<_, db::Error>(by_native(conn, "nobody").map(|_| ()))).unwrap();
        assert_eq!(missing, Err(diesel::result::Error::NotFound));
        // A failing body inside a transaction rolls the whole unit of work back.
        let failed: Result<(), db::Error> = db.transaction(|tx| {
            orient_database::native!(tx, |c| diesel::insert_into(agents::table)
                .values(&NewAgent::new("rolled-back", "Gone"))
                .execute(c))?;
            orient_database::native!(tx, |c| diesel::insert_into(agents::table)
                .values(&NewAgent::new("native-agent", "Duplicate"))
                .execute(c))?;
            Ok(())
        });
        assert!(failed.is_err());
        let gone = db.read(|conn| Ok::<_, db::Error>(by_native(conn, "rolled-back").map(|_| ()))).unwrap();
        assert_eq!(gone, Err(diesel::result::Error::NotFound));
    }
}
