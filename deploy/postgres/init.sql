-- One database per shegong service on one PostgreSQL server. Run once, by the postgres
-- image, when its data volume is empty (docker-entrypoint-initdb.d) as POSTGRES_USER,
-- who then owns each database. Each service creates its own tables at start-up.
-- Add a line here when a service is added (training, matching).
CREATE DATABASE registry;
CREATE DATABASE matching;
CREATE DATABASE training;
