/* The Redis Cluster fixture's nodes (tests/support/redis_fixture.c with --cluster-enabled):
 * a cluster node also listens on its port + 10000 (the cluster bus), and redis-server exits
 * at once on a port above 55535. The kernel hands out ephemeral ports up to 60999, so a
 * fifth of the fixture's free-port picks used to be such ports; five in a row failed
 * test_cluster_tenants's set-up on a loaded machine ("could not start redis-server").
 * Every pick for a cluster node must leave room for its bus (without the fix, PICKS picks
 * all below 55536 have a chance of 0.81^200), and cluster nodes start. */
#include "test.h"

#include "redis_fixture.h"

#define PICKS 200
#define STARTS 3

static const char *const node_args[] = {
    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", NULL};

static void test_cluster_node_ports_leave_room_for_the_bus(void **state)
{
    (void)state;
    for (int i = 0; i < PICKS; i++) {
        int port = redis_fixture_port_for(node_args);
        if (port <= 0 || port > 65535 - 10000)
            fail_msg("pick %d: port %d has no cluster bus port", i, port);
    }
    for (int i = 0; i < STARTS; i++) {
        redis_fixture rf;
        assert_int_equal(redis_fixture_start(&rf, node_args), 0);
        assert_true(rf.port <= 65535 - 10000);
        redis_fixture_stop(&rf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_node_ports_leave_room_for_the_bus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
