/* The launch coalescer (src/engine/coalesce.c) alone: a lone launch is sent at once and
 * alone; launches that arrive while a batch is in flight are sent together, each with its
 * own outcome; more than COALESCE_MAX waiting go in several batches, none lost. The send
 * function here stands in for the enqueue script (tests/redis/test_enqueue_coalesce.c runs
 * the real one): it records the batches and can hold one in flight until the test
 * releases it, which is how the test knows that the others queued behind it. The sender
 * thread's idle work (coalesce_set_idle) runs after a batch only when nothing waits, and
 * never for coalesce_run's own batches. A lone asynchronous launch is started (written) on
 * the submitting thread and finished (its reply) on the sender; while it is in flight the
 * others queue and go in one batch after it; a start that cannot send leaves the launch to
 * the usual batch, and a stop never leaves a started launch unfinished. The queue both the
 * coalescer and a launcher take their batches from (coalesce_queue) on its own. */
#include "test.h"

#include <pthread.h>
#include <stdatomic.h>

#include "engine/coalesce.h"
#include "wait.h"

#define MAXB 64

typedef struct job {
    coalesce_item item;   /* first, as in enqueue.c */
    int value;            /* what the caller asks */
    int answer;           /* what the sender wrote back: value * 10 */
    int batch;            /* which batch it went in */
} job;

static coalescer co;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool hold;            /* the next batch waits in send until released */
static atomic_bool holding;  /* a batch is waiting in send */
static atomic_int batches;
static size_t sizes[MAXB];
static atomic_int overlaps;   /* a send ran while another ran: must stay 0 */
static atomic_int in_send;

static void fake_send(coalesce_item **items, size_t n, void *ud)
{
    (void)ud;
    if (atomic_fetch_add(&in_send, 1) != 0)
        atomic_fetch_add(&overlaps, 1);
    int b = atomic_fetch_add(&batches, 1);
    if (b < MAXB)
        sizes[b] = n;
    pthread_mutex_lock(&gate_mu);
    if (hold) {
        hold = false;
        atomic_store(&holding, true);
        while (atomic_load(&holding))
            pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    for (size_t i = 0; i < n; i++) {
        job *j = (job *)items[i];
        j->answer = j->value * 10;
        j->batch = b;
    }
    atomic_fetch_sub(&in_send, 1);
}

static void release(void)
{
    pthread_mutex_lock(&gate_mu);
    atomic_store(&holding, false);
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void *launcher(void *arg)
{
    job *j = arg;
    coalesce_run(&co, &j->item, fake_send, NULL);
    return NULL;
}

static bool is_holding(void *arg)
{
    (void)arg;
    return atomic_load(&holding);
}

static size_t want_pending;
static bool pending_reached(void *arg)
{
    (void)arg;
    return coalesce_pending(&co) == want_pending;
}

static int setup(void **state)
{
    (void)state;
    coalesce_init(&co);
    atomic_store(&batches, 0);
    atomic_store(&overlaps, 0);
    hold = false;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    coalesce_destroy(&co);
    return 0;
}

static void lone_launch_is_sent_at_once(void **state)
{
    (void)state;
    job j = {.value = 7};
    coalesce_run(&co, &j.item, fake_send, NULL);
    assert_int_equal(atomic_load(&batches), 1);
    assert_int_equal(sizes[0], 1);
    assert_int_equal(j.answer, 70);
    assert_true(j.item.done);
    assert_int_equal(coalesce_pending(&co), 0);
}

/* One launch in flight (held in send), n more arrive: they wait, and all go in one batch
 * when the first is answered, each with its own answer. */
static void run_behind_one_in_flight(size_t n, size_t *nbatches)
{
    static job jobs[COALESCE_MAX + 8];
    static pthread_t th[COALESCE_MAX + 8];
    assert_true(n + 1 <= COALESCE_MAX + 8);
    hold = true;
    jobs[0] = (job){.value = 1};
    assert_int_equal(pthread_create(&th[0], NULL, launcher, &jobs[0]), 0);
    assert_true(wait_until(is_holding, NULL, 10000));
    for (size_t i = 1; i <= n; i++) {
        jobs[i] = (job){.value = (int)i + 1};
        assert_int_equal(pthread_create(&th[i], NULL, launcher, &jobs[i]), 0);
    }
    want_pending = n;
    assert_true(wait_until(pending_reached, NULL, 10000));
    for (size_t i = 0; i <= n; i++)
        assert_int_equal(jobs[i].answer, 0);   /* nothing answered while held */
    release();
    for (size_t i = 0; i <= n; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i <= n; i++) {
        assert_int_equal(jobs[i].answer, ((int)i + 1) * 10);
        assert_true(jobs[i].item.done);
    }
    assert_int_equal(jobs[0].batch, 0);
    assert_int_equal(coalesce_pending(&co), 0);
    assert_int_equal(atomic_load(&overlaps), 0);
    *nbatches = (size_t)atomic_load(&batches);
}

static void waiting_launches_share_one_batch(void **state)
{
    (void)state;
    size_t nb = 0;
    run_behind_one_in_flight(20, &nb);
    assert_int_equal(nb, 2);
    assert_int_equal(sizes[0], 1);
    assert_int_equal(sizes[1], 20);
}

static void past_the_cap_several_batches(void **state)
{
    (void)state;
    size_t n = COALESCE_MAX + 5, nb = 0;
    run_behind_one_in_flight(n, &nb);
    assert_int_equal(nb, 3);   /* the held one, then MAX, then 5 */
    size_t total = 0;
    for (size_t b = 1; b < nb; b++) {
        assert_true(sizes[b] <= COALESCE_MAX);
        total += sizes[b];
    }
    assert_int_equal(total, n);
}

static atomic_int idles, idle_saw_waiting, async_done;

static void on_idle(void *ud)
{
    (void)ud;
    if (coalesce_pending(&co) != 0 || atomic_load(&in_send) != 0)
        atomic_fetch_add(&idle_saw_waiting, 1);
    atomic_fetch_add(&idles, 1);
}

static void on_async_done(coalesce_item *it)
{
    (void)it;
    atomic_fetch_add(&async_done, 1);
}

static bool int_reached(void *arg)
{
    atomic_int *v = arg;
    return atomic_load(v) >= 1 + (v == &async_done ? 3 : 0);
}

/* One asynchronous launch held in flight, three queued behind it: the idle work runs once,
 * after the second batch (after the first the three still waited), with nothing waiting;
 * a synchronous caller's own batch runs none. */
static void idle_work_only_when_nothing_waits(void **state)
{
    (void)state;
    coalesce_set_idle(&co, on_idle);
    atomic_store(&idles, 0);
    atomic_store(&idle_saw_waiting, 0);
    atomic_store(&async_done, 0);
    static job jobs[4];
    hold = true;
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){.value = i + 1, .item.on_done = on_async_done};
        assert_int_equal(coalesce_submit(&co, &jobs[i].item, fake_send, NULL), 0);
        if (i == 0)
            assert_true(wait_until(is_holding, NULL, 10000));
    }
    want_pending = 3;
    assert_true(wait_until(pending_reached, NULL, 10000));
    assert_int_equal(atomic_load(&idles), 0);
    release();
    assert_true(wait_until(int_reached, &async_done, 10000));
    assert_true(wait_until(int_reached, &idles, 10000));
    assert_int_equal(atomic_load(&batches), 2);
    assert_int_equal(atomic_load(&idles), 1);
    assert_int_equal(atomic_load(&idle_saw_waiting), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(jobs[i].answer, (i + 1) * 10);
    job lone = {.value = 9};
    coalesce_run(&co, &lone.item, fake_send, NULL);
    assert_int_equal(lone.answer, 90);
    assert_int_equal(atomic_load(&idles), 1);
}

static pthread_t submitter;
static atomic_int starts, start_elsewhere, finishes, finish_here, bad_finish;
static atomic_bool start_fails, finish_hold, finish_holding;

static void *fake_start(coalesce_item **items, size_t n, void *ud)
{
    (void)ud;
    atomic_fetch_add(&starts, 1);
    if (!pthread_equal(pthread_self(), submitter))
        atomic_fetch_add(&start_elsewhere, 1);
    if (atomic_load(&start_fails) || n != 1)
        return NULL;
    return items[0];    /* any non-NULL handle: finish checks it is its item */
}

static void fake_finish(coalesce_item **items, size_t n, void *ud, void *started)
{
    atomic_fetch_add(&finishes, 1);
    if (pthread_equal(pthread_self(), submitter))
        atomic_fetch_add(&finish_here, 1);
    if (n != 1 || started != items[0])
        atomic_fetch_add(&bad_finish, 1);   /* asserted on the test's thread */
    pthread_mutex_lock(&gate_mu);
    if (atomic_load(&finish_hold)) {
        atomic_store(&finish_hold, false);
        atomic_store(&finish_holding, true);
        while (atomic_load(&finish_holding))
            pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    job *j = (job *)items[0];
    j->answer = j->value * 100;   /* not fake_send's * 10: which path answered shows */
}

static bool finish_is_holding(void *arg)
{
    (void)arg;
    return atomic_load(&finish_holding);
}

static void release_finish(void)
{
    pthread_mutex_lock(&gate_mu);
    atomic_store(&finish_holding, false);
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static int setup_start(void **state)
{
    setup(state);
    coalesce_set_start(&co, fake_start, fake_finish);
    submitter = pthread_self();
    atomic_store(&starts, 0);
    atomic_store(&start_elsewhere, 0);
    atomic_store(&finishes, 0);
    atomic_store(&finish_here, 0);
    atomic_store(&bad_finish, 0);
    atomic_store(&start_fails, false);
    atomic_store(&finish_hold, false);
    atomic_store(&async_done, 0);
    return 0;
}

static void *stop_main(void *arg)
{
    (void)arg;
    coalesce_stop(&co);
    return NULL;
}

static bool done_reached(void *arg)
{
    return atomic_load(&async_done) >= *(int *)arg;
}

/* A lone launch: started on this thread, finished on the sender, answered once; no batch
 * sent. While it is held in flight, three more queue and go in one batch after it. */
static void lone_launch_started_here_finished_by_sender(void **state)
{
    (void)state;
    static job jobs[4];
    atomic_store(&finish_hold, true);
    jobs[0] = (job){.value = 1, .item.on_done = on_async_done};
    assert_int_equal(coalesce_submit(&co, &jobs[0].item, fake_send, NULL), 0);
    assert_true(wait_until(finish_is_holding, NULL, 10000));
    for (int i = 1; i < 4; i++) {
        jobs[i] = (job){.value = i + 1, .item.on_done = on_async_done};
        assert_int_equal(coalesce_submit(&co, &jobs[i].item, fake_send, NULL), 0);
    }
    assert_int_equal(coalesce_pending(&co), 3);   /* the lone one in flight: they queue */
    assert_int_equal(atomic_load(&async_done), 0);
    release_finish();
    int want = 4;
    assert_true(wait_until(done_reached, &want, 10000));
    assert_int_equal(atomic_load(&starts), 1);
    assert_int_equal(atomic_load(&start_elsewhere), 0);
    assert_int_equal(atomic_load(&finishes), 1);
    assert_int_equal(atomic_load(&finish_here), 0);
    assert_int_equal(atomic_load(&bad_finish), 0);
    assert_int_equal(jobs[0].answer, 100);
    assert_int_equal(atomic_load(&batches), 1);   /* the three, together */
    assert_int_equal(sizes[0], 3);
    for (int i = 1; i < 4; i++)
        assert_int_equal(jobs[i].answer, (i + 1) * 10);
    assert_int_equal(atomic_load(&overlaps), 0);
}

/* start cannot send: the launch goes to the sender's batch, answered once. */
static void failed_start_falls_back_to_a_batch(void **state)
{
    (void)state;
    atomic_store(&start_fails, true);
    static job j;
    j = (job){.value = 4, .item.on_done = on_async_done};
    assert_int_equal(coalesce_submit(&co, &j.item, fake_send, NULL), 0);
    int want = 1;
    assert_true(wait_until(done_reached, &want, 10000));
    assert_int_equal(atomic_load(&starts), 1);
    assert_int_equal(atomic_load(&finishes), 0);
    assert_int_equal(atomic_load(&batches), 1);
    assert_int_equal(j.answer, 40);
}

/* Stopping while a started launch is held in flight: the stop waits for its answer. */
static void stop_finishes_a_started_launch(void **state)
{
    (void)state;
    static job j;
    atomic_store(&finish_hold, true);
    j = (job){.value = 5, .item.on_done = on_async_done};
    assert_int_equal(coalesce_submit(&co, &j.item, fake_send, NULL), 0);
    assert_true(wait_until(finish_is_holding, NULL, 10000));
    pthread_t stopper;
    assert_int_equal(pthread_create(&stopper, NULL, stop_main, NULL), 0);
    release_finish();
    pthread_join(stopper, NULL);
    assert_int_equal(atomic_load(&async_done), 1);
    assert_int_equal(j.answer, 500);
    assert_int_not_equal(coalesce_submit(&co, &j.item, fake_send, NULL), 0);
}

/* The queue both the coalescer and a launcher take batches from: empty takes nothing;
 * COALESCE_MAX + 44 pushed come off as COALESCE_MAX then 44, oldest first, the count
 * following; emptied, it is empty (tail too: the next push is the new head). */
static void queue_takes_up_to_the_cap_in_order(void **state)
{
    (void)state;
    static job js[COALESCE_MAX + 44];
    coalesce_item *items[COALESCE_MAX];
    coalesce_queue q = {0};
    assert_int_equal(coalesce_queue_take(&q, items), 0);
    for (int i = 0; i < COALESCE_MAX + 44; i++) {
        js[i].item.next = &js[0].item;   /* stale: push must reset it */
        coalesce_queue_push(&q, &js[i].item);
    }
    assert_int_equal(q.n, COALESCE_MAX + 44);
    assert_int_equal(coalesce_queue_take(&q, items), COALESCE_MAX);
    for (int i = 0; i < COALESCE_MAX; i++)
        assert_ptr_equal(items[i], &js[i].item);
    assert_int_equal(q.n, 44);
    assert_int_equal(coalesce_queue_take(&q, items), 44);
    for (int i = 0; i < 44; i++)
        assert_ptr_equal(items[i], &js[COALESCE_MAX + i].item);
    assert_int_equal(q.n, 0);
    assert_null(q.head);
    assert_null(q.tail);
    coalesce_queue_push(&q, &js[1].item);
    assert_int_equal(coalesce_queue_take(&q, items), 1);
    assert_ptr_equal(items[0], &js[1].item);
    assert_null(q.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lone_launch_is_sent_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_launches_share_one_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(past_the_cap_several_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_work_only_when_nothing_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(lone_launch_started_here_finished_by_sender,
                                        setup_start, teardown),
        cmocka_unit_test_setup_teardown(failed_start_falls_back_to_a_batch, setup_start,
                                        teardown),
        cmocka_unit_test_setup_teardown(stop_finishes_a_started_launch, setup_start, teardown),
        cmocka_unit_test(queue_takes_up_to_the_cap_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
