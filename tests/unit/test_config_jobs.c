/* Unit tests for berth.jobs and berth.plugins (src/server/config_jobs.c): a full job
 * definition read into exec_command with every default, plugins, no unknown-key warning
 * for these keys, a warning for an unknown key inside a job, and every bad input refused
 * with its exact line (and nothing left loaded). */
#include "test.h"

#include "berth/error.h"
#include "server/config.h"

static char err[512];
static berth_config cfg;

#define HEAD "protocol: http\nport: 8080\nworker_pool:\n  backend: redis\n  redis_pool:\n" \
             "    namespace: ns\nberth:\n"

static int load(const char *berth_part)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, HEAD "%s", berth_part);
    err[0] = '\0';
    config_free(&cfg);
    return config_load_string(yaml, strlen(yaml), NULL, &cfg, err, sizeof err);
}

static void expect_error(const char *berth_part, const char *msg)
{
    int rc = load(berth_part);
    if (rc != BERTH_ECONFIG || strcmp(err, msg) != 0)
        print_error("for:\n%s\nwant: %s\ngot:  rc %d, %s\n", berth_part, msg, rc, err);
    assert_int_equal(rc, BERTH_ECONFIG);
    assert_string_equal(err, msg);
    assert_null(cfg.jobs);
    assert_null(cfg.plugins);
}

static int teardown(void **state)
{
    (void)state;
    config_free(&cfg);
    return 0;
}

static void test_full_job(void **state)
{
    (void)state;
    assert_int_equal(load("  data_dir: /tmp/x\n"
                          "  jobs:\n"
                          "    - name: BACKUP\n"
                          "      command: [/usr/bin/env, python3, backup.py, --fast]\n"
                          "      dir: /srv/jobs\n"
                          "      env: [PATH, LANG, MODE=full]\n"
                          "      timeout_seconds: 1.5\n"
                          "      stop_grace_seconds: 2\n"
                          "      max_fails: 3\n"
                          "      should_retry: false\n"
                          "      max_concurrency: 2\n"
                          "      priority: 500\n"
                          "      max_output_bytes: 4096\n"
                          "      parameters:\n"
                          "        required: [target]\n"
                          "        types: {target: string, keep: [integer, null]}\n"
                          "    - name: HELLO\n"
                          "      command: [/bin/echo, hi]\n"
                          "  plugins: [/opt/a.so, /opt/b.so]\n"), 0);
    assert_int_equal(cfg.nwarnings, 0);
    assert_int_equal(cfg.njobs, 2);
    const exec_command *c = &cfg.jobs[0];
    assert_string_equal(c->name, "BACKUP");
    assert_string_equal(c->argv[0], "/usr/bin/env");
    assert_string_equal(c->argv[3], "--fast");
    assert_null(c->argv[4]);
    assert_string_equal(c->dir, "/srv/jobs");
    assert_string_equal(c->env[2], "MODE=full");
    assert_null(c->env[3]);
    assert_int_equal(c->timeout_ms, 1500);
    assert_int_equal(c->stop_grace_ms, 2000);
    assert_int_equal(c->max_fails, 3);
    assert_false(c->should_retry);
    assert_int_equal(c->max_concurrency, 2);
    assert_int_equal(c->priority, 500);
    assert_int_equal(c->max_output_bytes, 4096);
    assert_int_equal(c->nparams, 2);
    assert_string_equal(c->params[0].key, "target");
    assert_true(c->params[0].required);
    assert_int_equal(c->params[0].types, EXEC_JSON_STRING);
    assert_false(c->params[1].required);
    assert_int_equal(c->params[1].types, EXEC_JSON_INTEGER | EXEC_JSON_NULL);
    c = &cfg.jobs[1];
    assert_true(c->should_retry);          /* defaults */
    assert_int_equal(c->timeout_ms, 0);
    assert_int_equal(c->max_fails, 0);
    assert_null(c->dir);
    assert_null(c->env);
    assert_int_equal(c->nparams, 0);
    assert_int_equal(cfg.nplugins, 2);
    assert_string_equal(cfg.plugins[1], "/opt/b.so");
    assert_null(cfg.plugins[2]);
}

static void test_empty_and_absent(void **state)
{
    (void)state;
    assert_int_equal(load("  jobs:\n  plugins: []\n"), 0);
    assert_int_equal(cfg.njobs, 0);
    assert_int_equal(cfg.nplugins, 0);
    assert_int_equal(cfg.nwarnings, 0);
    assert_int_equal(load("  data_dir: /tmp/x\n"), 0);
    assert_null(cfg.jobs);
    assert_null(cfg.plugins);
}

static void test_unknown_key_in_job_warns(void **state)
{
    (void)state;
    assert_int_equal(load("  jobs:\n    - name: A\n      command: [/bin/true]\n"
                          "      timeout: 3\n"), 0);
    assert_int_equal(cfg.nwarnings, 1);
    assert_string_equal(cfg.warnings[0],
                        "line 11, column 7: unknown key \"berth.jobs[0].timeout\" ignored");
}

static void test_refusals(void **state)
{
    (void)state;
    expect_error("  jobs: {name: A}\n", "line 8, column 9: berth.jobs: expected a sequence, found a mapping");
    expect_error("  jobs: [A]\n",
                 "line 8, column 10: berth.jobs[0]: expected a mapping, found a scalar");
    expect_error("  jobs:\n    - command: [/bin/true]\n",
                 "line 9, column 7: berth.jobs[0]: `name` is required");
    expect_error("  jobs:\n    - name: A\n",
                 "line 9, column 7: berth.jobs[0]: `command` is required (the program and its "
                 "arguments, a list)");
    expect_error("  jobs:\n    - name: bad name\n      command: [/bin/true]\n",
                 "line 9, column 7: berth.jobs[0]: name 'bad name': use letters, digits, '_', "
                 "'-' or '.' (at most 128)");
    expect_error("  jobs:\n    - name: A\n      command: echo hi | wc\n",
                 "line 10, column 16: berth.jobs[0].command: must be a list of arguments (argv), "
                 "e.g. [/usr/bin/env, python3, job.py]; it never runs through a shell (to use "
                 "one, write [/bin/sh, -c, '...'])");
    expect_error("  jobs:\n    - name: A\n      command: []\n",
                 "line 10, column 16: berth.jobs[0].command: needs at least the program");
    expect_error("  jobs:\n    - name: A\n      command: [/bin/true, [x]]\n",
                 "line 10, column 28: berth.jobs[0].command[1]: expected a string, found a sequence");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true]}\n    - {name: A, command: [x]}\n",
                 "line 10, column 7: berth.jobs[1]: name 'A' is already used by berth.jobs[0]");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], env: [CORE_SECRET]}\n",
                 "line 9, column 45: berth.jobs[0].env[0]: CORE_SECRET is never passed to a "
                 "job (secrets, Redis and database settings, and the names Berth sets itself)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], env: [MY_REDIS_URL=x]}\n",
                 "line 9, column 45: berth.jobs[0].env[0]: MY_REDIS_URL is never passed to a "
                 "job (secrets, Redis and database settings, and the names Berth sets itself)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], env: [POSTGRESQL_PASSWORD]}\n",
                 "line 9, column 45: berth.jobs[0].env[0]: POSTGRESQL_PASSWORD is never passed "
                 "to a job (secrets, Redis and database settings, and the names Berth sets "
                 "itself)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], env: [BERTH_JOB_ID=1]}\n",
                 "line 9, column 45: berth.jobs[0].env[0]: BERTH_JOB_ID is never passed to a "
                 "job (secrets, Redis and database settings, and the names Berth sets itself)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], env: [1X]}\n",
                 "line 9, column 45: berth.jobs[0].env[0]: '1X' is not a variable name (NAME "
                 "or NAME=value)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], timeout_seconds: -1}\n",
                 "line 9, column 56: berth.jobs[0].timeout_seconds: expected seconds (a number "
                 "from 0 to 31536000), got '-1'");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], stop_grace_seconds: soon}\n",
                 "line 9, column 59: berth.jobs[0].stop_grace_seconds: expected seconds (a "
                 "number from 0 to 31536000), got 'soon'");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], max_fails: 1.5}\n",
                 "line 9, column 50: berth.jobs[0].max_fails: not an integer: '1.5'");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], should_retry: maybe}\n",
                 "line 9, column 53: berth.jobs[0].should_retry: not a boolean: 'maybe' (use "
                 "true or false)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], parameters: {types: {a: text}}}\n",
                 "line 9, column 63: berth.jobs[0].parameters.types: unknown type 'text' "
                 "(string, number, integer, boolean, object, array or null)");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], parameters: [a]}\n",
                 "line 9, column 51: berth.jobs[0].parameters: expected a mapping with "
                 "`required` and/or `types`");
    expect_error("  jobs:\n    - {name: A, command: [/bin/true], priority: 2000000}\n",
                 "line 9, column 49: berth.jobs[0].priority: not a non-negative integer (or out "
                 "of range): '2000000'");
    expect_error("  jobs:\n    - {name: A, name: B, command: [/bin/true]}\n",
                 "line 9, column 17: berth.jobs[0].name: duplicate key (first at line 9)");
    expect_error("  plugins: /opt/a.so\n", "line 8, column 12: berth.plugins: expected a list");
    expect_error("  plugins: ['']\n",
                 "line 8, column 13: berth.plugins[0]: expected a non-empty string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_job, teardown),
        cmocka_unit_test_teardown(test_empty_and_absent, teardown),
        cmocka_unit_test_teardown(test_unknown_key_in_job_warns, teardown),
        cmocka_unit_test_teardown(test_refusals, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
