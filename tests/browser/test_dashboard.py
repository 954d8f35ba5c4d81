#!/usr/bin/python3
"""The dashboard in a real browser (ctest label `browser`, release preset only).

A real berthd (embedded redis-server, this build's binary) on a free loopback port, driven by
Debian's chromium through chromium-driver and python3-selenium, headless. Each step does what
an operator does and checks what the page shows; every page is saved as a PNG under
$BERTH_BINARY_DIR/screenshots (look at them: what a person sees is the test).

Steps: a wrong secret shows an error and nothing else; signing in shows the overview; a job
appears among the running jobs and finishes, its log followed live; a queue is paused (a job
waits) and resumed (it runs); a periodic policy and its executions; pools and workers; hook
events parked for real (berthd with BERTH_HOOK_BACKOFF_SCALE, so the retry period is seconds)
are replayed to a receiver that is back; phone width; no CSP or script error in the console.

Nothing is faked. Exit 77 (ctest: skipped) under the asan/tsan presets: they test memory
safety, not the UI.
"""
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SECRET = "browser-test-secret"
SKIP = 77


def free_port():
    """A free port below the kernel's ephemeral range, as tests/support/redis_fixture.c picks
    them: a port from bind(0) goes back to the kernel's pool until berthd or the receiver
    binds it, and the browser's own connections may take it meanwhile."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    rnd = random.SystemRandom()
    for _ in range(200 if low > 10000 else 0):
        port = rnd.randrange(10000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A hook receiver answering 200 and recording each body (Harbor core's side)."""

    def __init__(self, port):
        self.bodies = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(n)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Berthd:
    def __init__(self, binary_dir, tmp):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.dir = tmp
        cfg = os.path.join(tmp, "config.yml")
        with open(cfg, "w") as f:
            f.write(f"""protocol: "http"
port: {self.port}
worker_pool:
  workers: 4
  backend: "redis"
  redis_pool:
    namespace: "browser"
job_loggers:
  - name: "FILE"
    level: "INFO"
    settings:
      base_dir: "{tmp}/jobs"
loggers:
  - name: "STD_OUTPUT"
    level: "INFO"
berth:
  listen_address: "127.0.0.1"
  data_dir: "{tmp}/data"
  lease_seconds: 5      # heartbeat (and worker observations) every second
  hooks:
    retry_hours: 1
""")
        env = dict(os.environ, CORE_SECRET=SECRET, BERTH_DEMO_HOLD_MS="6000",
                   BERTH_HOOK_BACKOFF_SCALE="0.001")
        self.log = open(os.path.join(tmp, "berthd.log"), "w")
        self.proc = subprocess.Popen([os.path.join(binary_dir, "berthd"), "-c", cfg], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("berthd did not start; log:\n" + open(self.log.name).read())

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": "Harbor-Secret " + SECRET})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            return json.loads(text) if text else None

    def launch(self, hook=None, **meta):
        job = {"name": "DEMO", "parameters": {"image": "demo:browser"},
               "metadata": dict({"kind": "Generic"}, **meta)}
        if hook:
            job["status_hook"] = hook
        return self.call("POST", "/api/v1/jobs", {"job": job})["job"]["id"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class UI:
    def __init__(self, base, shots):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.base = base
        self.shots = shots
        self.console = []

    def go(self, hash_):
        self.d.get(self.base + "/ui/" + hash_)

    def find(self, css):
        return self.d.find_element("css selector", css)

    def finds(self, css):
        return self.d.find_elements("css selector", css)

    def text(self, css="body"):
        return self.find(css).text

    def wait(self, what, fn, timeout=20):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = fn()
                if last:
                    return last
            except Exception as e:  # the element may be redrawn between lookups
                last = e
            time.sleep(0.1)
        self.shot("FAILED-" + what.replace(" ", "-"))
        raise AssertionError("timed out waiting for %s (last: %r)\npage text:\n%s"
                             % (what, last, self.text()))

    def wait_text(self, needle, css="body", timeout=20):
        return self.wait("text %r" % needle, lambda: needle in self.text(css), timeout)

    def click(self, css):
        """Clicks css once it is enabled; the page redraws every 2 s, so a lookup may go
        stale before the click: then look it up again."""
        def once():
            e = self.find(css)
            if not e.is_enabled():
                return False
            e.click()
            return True
        self.wait("a click on " + css, once)

    def shot(self, name):
        """The whole page, not only the window: the window grows to the page's height."""
        path = os.path.join(self.shots, name + ".png")
        size = self.d.get_window_size()
        height = self.d.execute_script("return document.documentElement.scrollHeight")
        if height > size["height"]:
            self.d.set_window_size(size["width"], min(height + 100, 4000))
            time.sleep(0.2)
        self.d.save_screenshot(path)
        self.d.set_window_size(size["width"], size["height"])
        return path

    def drain_console(self):
        self.console += self.d.get_log("browser")

    def quit(self):
        self.d.quit()


def step_login(ui):
    ui.go("")
    ui.wait("login form", lambda: ui.find("#login").is_displayed())
    assert not ui.find("#nav").is_displayed(), "navigation shown before signing in"
    assert not ui.find("#app").is_displayed(), "app shown before signing in"
    ui.find("#secret").send_keys("not-the-secret")
    ui.find("#login-button").click()
    ui.wait_text("Wrong secret", "#login-error")
    assert not ui.find("#app").is_displayed()
    assert "unauthorized" in ui.text("#login-error")
    ui.shot("01-login-wrong-secret")
    # the refused call is the one console error allowed (Chromium logs every 401)
    refused = [m for m in ui.d.get_log("browser") if m["level"] == "SEVERE"]
    assert all("/api/v1/queues" in m["message"] and "401" in m["message"] for m in refused), refused
    ui.find("#secret").clear()
    ui.find("#secret").send_keys(SECRET)
    ui.find("#login-button").click()
    ui.wait("overview", lambda: ui.find("#overview-stats").is_displayed())
    assert not ui.find("#login").is_displayed()


def step_job_appears_and_finishes(ui, b, hook):
    ui.go("#/jobs")
    ui.wait_text("Running now")
    job = b.launch(hook=hook)
    link = 'a[href="#/jobs/%s"]' % job
    ui.wait("job %s among the running jobs" % job, lambda: ui.finds(link))
    ui.shot("03-jobs-running-now")
    ui.click(link)
    ui.wait_text(job, "#job-id")
    # the log is followed while the job runs: lines arrive without a reload
    ui.wait_text("Following", "#log-status")
    ui.wait_text("Sample job starting", "#log")
    ui.wait_text("progress data: %60", "body")       # a check-in, in the check-ins table
    ui.shot("04-job-running-log-followed")
    ui.wait_text("Success", "#job-status", timeout=20)
    ui.wait_text("End of log: the job finished.", "#log-status")
    ui.wait_text("Sample job exit", "#log")
    ui.shot("05-job-finished")
    return job


def queue_row(ui, name):
    for tr in ui.finds("table tbody tr"):
        tds = tr.find_elements("css selector", "td")
        if tds and tds[0].text == name:
            return [td.text for td in tds]
    return None


def step_pause_resume(ui, b):
    ui.go("#/queues")
    ui.wait("DEMO queue row", lambda: queue_row(ui, "DEMO"))
    ui.click('button[data-action="pause"][data-queue="DEMO"]')
    ui.wait_text("DEMO paused", "#toast")
    ui.wait("DEMO paused in the table", lambda: queue_row(ui, "DEMO")[4] == "paused")
    assert [q for q in b.call("GET", "/api/v1/queues") if q["name"] == "DEMO"][0]["paused"]
    job = b.launch()
    ui.wait("the job waiting in DEMO", lambda: queue_row(ui, "DEMO")[1] == "1")
    ui.shot("06-queues-paused-job-waiting")
    time.sleep(1)   # negative check: a paused queue is not fetched
    assert b.call("GET", "/api/v1/jobs/" + job)["job"]["status"] == "Pending"
    ui.click('button[data-action="resume"][data-queue="DEMO"]')
    ui.wait_text("DEMO resumed", "#toast")
    ui.wait("DEMO active again", lambda: queue_row(ui, "DEMO")[4] == "active")
    deadline = time.time() + 20
    while b.call("GET", "/api/v1/jobs/" + job)["job"]["status"] not in ("Running", "Success"):
        assert time.time() < deadline, "the job never ran after resume"
        time.sleep(0.1)
    ui.shot("07-queues-resumed")


def step_stop_running(ui, b):
    job = b.launch()
    ui.go("#/jobs")
    ui.click('button[data-stop="%s"]' % job)
    ui.wait("the confirmation", lambda: ui.d.switch_to.alert)
    ui.d.switch_to.alert.accept()
    ui.wait_text("Stop requested for " + job, "#toast")
    deadline = time.time() + 10
    while b.call("GET", "/api/v1/jobs/" + job)["job"]["status"] != "Stopped":
        assert time.time() < deadline, "the running job was not stopped"
        time.sleep(0.1)


def step_policies(ui, b):
    pid = b.call("POST", "/api/v1/jobs", {"job": {
        "name": "SCHEDULER", "parameters": None,
        "metadata": {"kind": "Periodic", "cron_spec": "*/2 * * * * *"}}})["job"]["id"]
    ui.go("#/policies")
    ui.wait("policy listed", lambda: ui.finds('a[href="#/policies/%s"]' % pid))
    assert "*/2 * * * * *" in ui.text()
    ui.shot("08-policies")
    ui.click('a[href="#/policies/%s"]' % pid)
    ui.wait("an execution", lambda: ui.finds('a[href^="#/jobs/%s%%40"]' % pid), timeout=15)
    ui.wait_text("Success", timeout=15)
    ui.shot("09-policy-executions")
    b.call("POST", "/api/v1/jobs/" + pid, {"action": "stop"})


def step_pools(ui):
    ui.go("#/pools")
    ui.wait("a pool", lambda: ui.finds(".pool"))
    assert "Healthy" in ui.text()
    assert len(ui.finds(".pool tbody tr")) >= 4, "the pool's 4 workers"
    ui.shot("10-pools")


def step_hooks(ui, receiver_port):
    ui.go("#/hooks")
    # the first job's hooks went to a closed port; with the scaled retry period (3.6 s from
    # each event's first attempt, the job's events one after another) all four park within
    # about 15 s of the job; the replay waits for all four: a parked event replayed while a
    # later one of its job is still retrying would go out after it (the replay appends it)
    ui.wait("4 parked events", lambda: len(ui.finds("tbody tr")) >= 4, timeout=30)
    ui.shot("11-hooks-parked")
    receiver = Receiver(receiver_port)
    try:
        ui.click("#replay")
        ui.wait_text("Replayed", "#toast")
        assert "Replayed 0" not in ui.text("#toast")
        # every event of the job reaches the receiver, replayed or (later ones) sent directly
        ui.wait("4 hook events delivered", lambda: len(receiver.bodies) >= 4, timeout=30)
        statuses = [x["status"] for x in receiver.bodies]
        assert statuses[-1] == "Success", statuses
        ui.wait_text("Nothing is parked.", timeout=10)
        ui.shot("12-hooks-replayed")
    finally:
        receiver.stop()


def step_overview(ui):
    ui.go("#/overview")
    ui.wait("throughput bars", lambda: ui.finds(".chart rect"))
    ui.shot("02-overview")


def step_phone(ui):
    ui.d.set_window_size(390, 844)
    for page, name in (("#/overview", "13-phone-overview"), ("#/queues", "14-phone-queues"),
                       ("#/jobs", "15-phone-jobs")):
        ui.go(page)
        ui.wait("page " + page, lambda: ui.finds("#page h1"))
        time.sleep(0.3)
        width = ui.d.execute_script("return document.documentElement.scrollWidth")
        inner = ui.d.execute_script("return window.innerWidth")
        assert width <= inner, "%s scrolls sideways at phone width (%d > %d)" % (page, width, inner)
        ui.shot(name)
    ui.d.set_window_size(1280, 900)


def step_sign_out(ui):
    ui.click("#logout")
    ui.wait("login form", lambda: ui.find("#login").is_displayed())
    assert not ui.find("#app").is_displayed()
    ui.go("#/queues")    # a reload after signing out shows nothing either
    ui.wait("login form", lambda: ui.find("#login").is_displayed())


def main():
    preset_dir = os.environ.get("BERTH_BINARY_DIR", "")
    if os.environ.get("BERTH_SANITIZE"):
        print("skipped: the browser tests run in the release preset only (this is %s)"
              % os.environ["BERTH_SANITIZE"])
        return SKIP
    for need in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(need):
            print("FAIL: %s is missing: run scripts/deps.sh (chromium, chromium-driver)" % need)
            return 1
    shots = os.path.join(preset_dir, "screenshots")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    tmp = tempfile.mkdtemp(prefix="berth-browser-")
    t0 = time.time()
    b = ui = None
    ok = False
    try:
        b = Berthd(preset_dir, tmp)
        ui = UI(b.base, shots)
        hook_port = free_port()
        hook = "http://127.0.0.1:%d/service/notifications/tasks/1" % hook_port
        for name, fn in (("login", lambda: step_login(ui)),
                         ("job", lambda: step_job_appears_and_finishes(ui, b, hook)),
                         ("overview", lambda: step_overview(ui)),
                         ("queues", lambda: step_pause_resume(ui, b)),
                         ("stop", lambda: step_stop_running(ui, b)),
                         ("policies", lambda: step_policies(ui, b)),
                         ("pools", lambda: step_pools(ui)),
                         ("hooks", lambda: step_hooks(ui, hook_port)),
                         ("phone", lambda: step_phone(ui)),
                         ("sign out", lambda: step_sign_out(ui))):
            s = time.time()
            fn()
            ui.drain_console()
            print("ok   %-9s %5.1f s" % (name, time.time() - s))
        bad = [m for m in ui.console if m["level"] == "SEVERE"]
        assert not bad, "console errors (CSP or script): %s" % bad
        ok = True
        print("dashboard: all steps passed in %.1f s; screenshots in %s" % (time.time() - t0, shots))
    finally:
        if ui:
            ui.quit()
        if b:
            b.stop()
            if not ok:
                print("berthd log:\n" + open(os.path.join(tmp, "berthd.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
