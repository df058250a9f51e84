#!/usr/bin/env python3
"""Check-on-create latency through the REST API: N drafts (stored contacts re-typed: first name upper
case, no e-mail, phone with spaces) sent one after another over one keep-alive connection to
POST /api/v1/contacts/check-duplicates; prints p50/p90/p99/max, how often the own record was among the candidates, and the load average
before and after (the machine is shared: read the times next to it). With SERVER_PID set, also the
server's RSS and peak RSS.
   scripts/bench-check-duplicates.py HOST:PORT USER PASSWORD CONTACTS.jsonl N [SEED]"""
import http.client, json, os, random, sys, time
host, user, pw, src, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
h, p = host.split(":")
conn = http.client.HTTPConnection(h, int(p))
conn.request("POST", "/api/v1/auth/login", json.dumps({"username": user, "password": pw}), {"content-type": "application/json"})
token = json.loads(conn.getresponse().read())["access_token"]
lines = open(src).read().splitlines()
random.seed(int(sys.argv[6]) if len(sys.argv) > 6 else 7)
load_before = os.getloadavg()
pid = os.environ.get("SERVER_PID")
def cpu_s():  # the server's user + system CPU time, seconds
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
cpu_before = cpu_s() if pid else 0.0
sample = [json.loads(lines[random.randrange(len(lines))]) for _ in range(n)]
times, found = [], 0
for c in sample:
    phones = [{"number": " ".join([x[:4], x[4:7], x[7:]])} for x in (c.get("phones") or [])[:1]]
    draft = {"first_name": (c.get("first_name") or "").upper(), "last_name": c.get("last_name") or "",
             "full_name": "" if c.get("first_name") else (c.get("full_name") or ""),
             "company": c.get("company") or "", "phones": phones}
    body = json.dumps(draft)
    t = time.perf_counter()
    conn.request("POST", "/api/v1/contacts/check-duplicates", body, {"content-type": "application/json", "authorization": f"Bearer {token}"})
    r = conn.getresponse(); data = r.read()
    times.append((time.perf_counter() - t) * 1000)
    if r.status == 200:
        res = json.loads(data)
        if any(x["contact"]["id"] == c["id"] for x in res):
            found += 1
    elif r.status != 422:
        print("status", r.status, data[:200])
times.sort()
q = lambda f: times[min(len(times) - 1, int(f * len(times)))]
load_after = os.getloadavg()
if pid:
    print(f"server CPU per check {1000 * (cpu_s() - cpu_before) / n:.3f} ms (user + sys)")
    status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status") if ":" in l)
    print(f"server RSS {status['VmRSS'].strip()}, peak {status['VmHWM'].strip()}")
print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f" % (*load_before, *load_after))
print(f"drafts {n}: p50 {q(.5):.2f} ms, p90 {q(.9):.2f} ms, p99 {q(.99):.2f} ms, max {times[-1]:.2f} ms; own record among candidates {100*found/n:.1f} %")
