-- The Harbor tables Berth's database jobs touch, for the tests (tests/support/pg_fixture.c).
-- Written for Berth from the column facts of spec harbor-jobs §17 (Harbor v2.16's schema after
-- all of its migrations): Harbor's table and column names, types, defaults, unique keys and
-- foreign keys. Not Harbor's migration files. Timestamps are `timestamp without time zone`
-- holding UTC wall-clock time, as in Harbor. Applied once per test program.

CREATE TABLE harbor_user (
  user_id serial PRIMARY KEY,
  username varchar(255) UNIQUE,
  email varchar(255),
  password varchar(40),
  realname varchar(255),
  comment varchar(30),
  deleted boolean NOT NULL DEFAULT false,
  sysadmin_flag boolean NOT NULL DEFAULT false,
  creation_time timestamp DEFAULT now(),
  update_time timestamp DEFAULT now()
);
INSERT INTO harbor_user (user_id, username, sysadmin_flag) VALUES (1, 'admin', true);

CREATE TABLE project (
  project_id serial PRIMARY KEY,
  owner_id int NOT NULL REFERENCES harbor_user(user_id),
  name varchar(255) NOT NULL UNIQUE,
  creation_time timestamp DEFAULT now(),
  update_time timestamp DEFAULT now(),
  deleted boolean NOT NULL DEFAULT false,
  registry_id int
);
INSERT INTO project (project_id, owner_id, name) VALUES (1, 1, 'library');

CREATE TABLE repository (
  repository_id serial PRIMARY KEY,
  name varchar(255) NOT NULL UNIQUE,
  project_id int NOT NULL,
  description text,
  pull_count int NOT NULL DEFAULT 0,
  star_count int NOT NULL DEFAULT 0,
  creation_time timestamp DEFAULT now(),
  update_time timestamp DEFAULT now()
);

CREATE TABLE artifact (
  id serial PRIMARY KEY,
  project_id int NOT NULL,
  repository_name varchar(255) NOT NULL,
  digest varchar(255) NOT NULL,
  type varchar(255) NOT NULL,
  pull_time timestamp,
  push_time timestamp,
  repository_id int NOT NULL,
  media_type varchar(255) NOT NULL,
  manifest_media_type varchar(255) NOT NULL,
  size bigint,
  extra_attrs text,
  annotations jsonb,
  icon varchar(255),
  artifact_type varchar(255) NOT NULL,
  UNIQUE (repository_id, digest)
);

-- audit logs (PURGE_AUDIT_LOG, AUDIT_LOGS_GDPR_COMPLIANT)
CREATE TABLE audit_log (
  id serial PRIMARY KEY,
  project_id int NOT NULL,
  operation varchar(20) NOT NULL,
  resource_type varchar(255) NOT NULL,
  resource varchar(1024) NOT NULL,
  username varchar(255) NOT NULL,
  op_time timestamp DEFAULT now()
);
CREATE INDEX audit_log_op_time ON audit_log (op_time);
CREATE INDEX audit_log_project_id_optime ON audit_log (project_id, op_time);

CREATE TABLE audit_log_ext (
  id bigserial PRIMARY KEY,
  project_id bigint,
  operation varchar(50),
  resource_type varchar(255),
  resource varchar(1024),
  username varchar(255),
  op_desc varchar(1024),
  op_result boolean DEFAULT true,
  payload text,
  source_ip varchar(50),
  op_time timestamp DEFAULT now()
);
CREATE INDEX idx_audit_log_ext_op_time ON audit_log_ext (op_time);
CREATE INDEX idx_audit_log_ext_project_id_operation ON audit_log_ext (project_id, operation);
CREATE INDEX idx_audit_log_ext_project_id_optime ON audit_log_ext (project_id, op_time);
CREATE INDEX idx_audit_log_ext_project_id_resource_type ON audit_log_ext (project_id, resource_type);

-- executions and tasks (EXECUTION_SWEEP)
CREATE TABLE execution (
  id serial PRIMARY KEY,
  vendor_type varchar(64) NOT NULL,
  vendor_id int,
  status varchar(16),
  status_message text,
  trigger varchar(16) NOT NULL,
  extra_attrs json,
  start_time timestamp DEFAULT now(),
  end_time timestamp,
  revision int,
  update_time timestamp
);
CREATE INDEX execution_vendor_type_vendor_id ON execution (vendor_type, vendor_id);
CREATE INDEX execution_start_time ON execution (start_time);

CREATE TABLE task (
  id serial PRIMARY KEY,
  execution_id int NOT NULL REFERENCES execution(id),
  job_id varchar(64),
  status varchar(16) NOT NULL,
  status_code int NOT NULL,
  status_revision bigint,
  status_message text,
  run_count int,
  extra_attrs json,
  creation_time timestamp DEFAULT now(),
  start_time timestamp,
  update_time timestamp,
  end_time timestamp,
  vendor_type varchar(64) NOT NULL
);
CREATE INDEX task_job_id ON task (job_id);
CREATE INDEX task_execution_id ON task (execution_id);

-- system artifacts (SYSTEM_ARTIFACT_CLEANUP, SCAN_DATA_EXPORT)
CREATE TABLE system_artifact (
  id serial PRIMARY KEY,
  repository varchar(256) NOT NULL,
  digest varchar(255) NOT NULL DEFAULT '',
  size bigint NOT NULL DEFAULT 0,
  vendor varchar(255) NOT NULL DEFAULT '',
  type varchar(255) NOT NULL DEFAULT '',
  create_time timestamp DEFAULT now(),
  extra_attrs text NOT NULL DEFAULT '',
  UNIQUE (repository, digest, vendor)
);

-- scanning (IMAGE_SCAN)
CREATE TABLE scanner_registration (
  id serial PRIMARY KEY,
  uuid varchar(64) NOT NULL UNIQUE,
  url varchar(256) NOT NULL UNIQUE,
  name varchar(128) NOT NULL UNIQUE,
  description varchar(1024),
  auth varchar(16) NOT NULL,
  access_cred varchar(512),
  disabled boolean NOT NULL DEFAULT false,
  is_default boolean NOT NULL DEFAULT false,
  use_internal_addr boolean NOT NULL DEFAULT false,
  immutable boolean NOT NULL DEFAULT false,
  skip_cert_verify boolean NOT NULL DEFAULT false,
  create_time timestamp DEFAULT now(),
  update_time timestamp DEFAULT now()
);

CREATE TABLE scan_report (
  id serial PRIMARY KEY,
  uuid varchar(64) NOT NULL UNIQUE,
  digest varchar(256) NOT NULL,
  registration_uuid varchar(64) NOT NULL,
  mime_type varchar(256) NOT NULL,
  report json,
  critical_cnt bigint,
  high_cnt bigint,
  medium_cnt bigint,
  low_cnt bigint,
  none_cnt bigint,
  unknown_cnt bigint,
  fixable_cnt bigint,
  UNIQUE (digest, registration_uuid, mime_type)
);

CREATE TABLE vulnerability_record (
  id bigserial PRIMARY KEY,
  cve_id text NOT NULL DEFAULT '',
  registration_uuid text NOT NULL DEFAULT ''
    REFERENCES scanner_registration(uuid) ON DELETE CASCADE,
  package text NOT NULL DEFAULT '',
  package_version text NOT NULL DEFAULT '',
  package_type text NOT NULL DEFAULT '',
  severity text NOT NULL DEFAULT '',
  fixed_version text,
  urls text,
  cvss_score_v3 double precision,
  cvss_score_v2 double precision,
  cvss_vector_v3 text,
  cvss_vector_v2 text,
  description text,
  cwe_ids text,
  vendor_attributes json,
  status text,
  UNIQUE (cve_id, registration_uuid, package, package_version)
);
CREATE INDEX idx_vulnerability_record_cve_id ON vulnerability_record (cve_id);
CREATE INDEX idx_vulnerability_record_cvss_score_v3 ON vulnerability_record (cvss_score_v3);
CREATE INDEX idx_vulnerability_record_package ON vulnerability_record (package);
CREATE INDEX idx_vulnerability_record_severity ON vulnerability_record (severity);
CREATE INDEX idx_vulnerability_record_registration_uuid ON vulnerability_record (registration_uuid);

CREATE TABLE report_vulnerability_record (
  id bigserial PRIMARY KEY,
  report_uuid text NOT NULL DEFAULT '' REFERENCES scan_report(uuid) ON DELETE CASCADE,
  vuln_record_id bigint NOT NULL DEFAULT 0
    REFERENCES vulnerability_record(id) ON DELETE CASCADE,
  UNIQUE (report_uuid, vuln_record_id)
);

CREATE TABLE sbom_report (
  id serial PRIMARY KEY,
  uuid varchar(64) NOT NULL UNIQUE,
  artifact_id int NOT NULL,
  registration_uuid varchar(64) NOT NULL,
  mime_type varchar(256) NOT NULL,
  media_type varchar(256) NOT NULL,
  report json,
  UNIQUE (artifact_id, registration_uuid, mime_type, media_type)
);
