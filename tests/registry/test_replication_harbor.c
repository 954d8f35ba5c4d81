/* REPLICATION to a `harbor` endpoint: the local Harbor (its URL equals CORE_URL) is
 * reached with Harbor-Secret only (no ping, no token), probed at /api/version, asked where a
 * blob can be mounted from, and its tags are deleted through its REST API. No Harbor runs
 * here: tests/support/fake_harbor.c plays its core in front of a real docker-registry
 * (the copies land in that registry and are checked there digest by digest). */
#include "test.h"

#include "api_fixture.h"
#include "fake_harbor.h"
#include "replication_helpers.h"

#define SECRET "harbor-core-secret"

static reg_fixture backend;
static fake_harbor *harbor;

static int setup(void **state)
{
    if (rh_setup(state) != 0 || regfx_start(&backend, RF_NOAUTH) != 0)
        return -1;
    harbor = fh_start(backend.url, SECRET);
    setenv("CORE_URL", fh_url(harbor), 1);
    return 0;
}

static int teardown(void **state)
{
    fh_stop(harbor);
    regfx_stop(&backend);
    unsetenv("CORE_URL");
    return rh_teardown(state);
}

static char *to_harbor(const char *tags, const char *dst_repo)
{
    return repl_launch_at(rh_src_image("lib/app", tags), "harbor", fh_url(harbor), "", SECRET,
                          dst_repo, 0, false);
}

static void test_copy_to_local_harbor(void **state)
{
    (void)state;
    char *id = to_harbor(RH_TAGS, "proj/app");
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "client for destination registry [type: harbor, URL: http://127.0.0.1:");
    for (int i = 0; i < RH_NTAGS; i++)
        rh_verify(&rh.plain, "lib/app", &backend, "proj/app", rh_tags[i]);
    assert_int_equal(fh_refused(harbor), 0);   /* every request carried the secret */
    free(id);
}

static void test_mount_from_another_repository(void **state)
{
    (void)state;
    fh_set_mount_repo(harbor, "proj/app");
    char *id = to_harbor("oci", "proj/other");
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "mounted from the repository proj/app on the destination registry directly");
    repl_log_lacks(id, "copy the blob sha256:");
    rh_verify(&rh.plain, "lib/app", &backend, "proj/other", "oci");
    fh_set_mount_repo(harbor, "");
    free(id);
}

static void test_tag_deletion(void **state)
{
    (void)state;
    fh_set_existing_tag(harbor, "v1");
    int before = fh_tag_deletions(harbor);
    char *src = rh_src_image("lib/app", "v1,gone");
    char *id = repl_launch_at_mode(src, "harbor", fh_url(harbor), "", SECRET, "proj/app",
                                   RH_DELETE_TAG);
    repl_wait(id, "Success", 60000);
    repl_log_has(id, "the tag proj/app:v1 is deleted");
    repl_log_has(id, "the tag proj/app:gone doesn't exist on the destination registry, skip");
    assert_int_equal(fh_tag_deletions(harbor) - before, 2);
    free(id);
}

static void test_wrong_secret(void **state)
{
    (void)state;
    char *id = repl_launch_at(rh_src_image("lib/app", "v1"), "harbor", fh_url(harbor), "",
                              "not-the-secret", "proj/app", 0, false);
    repl_wait_runs(id, "failed to create client for destination registry: http status code: 401",
                   3);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_to_local_harbor),
        cmocka_unit_test(test_mount_from_another_repository),
        cmocka_unit_test(test_tag_deletion),
        cmocka_unit_test(test_wrong_secret),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
