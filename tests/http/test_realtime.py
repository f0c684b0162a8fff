"""Community streams (contract §8): WebSocket at /api/community/ws and SSE at
/api/community/events, served by nginx's nchan and authorized by the
community binary.

Events come from the high-five endpoint and, for the types no community
endpoint creates, from tests/bench/rtemit, which creates them exactly as the
binaries do (activity_event_create(), then realtime_publish_event() after
commit).  The WebSocket client is stdlib only (socket + base64 + hashlib)."""
import base64
import hashlib
import http.client
import json
import os
import socket
import struct
import subprocess
import threading
import time

import mm

RUN_DIR = os.environ.get("MM_RUN_DIR", os.path.join(mm.VAR_DIR, "run"))
BIN_DIR = os.environ.get("MM_BIN_DIR", mm.ROOT)
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
QUIET = 0.6     # how long "nothing arrives" is watched after a sentinel


def emit(user_id, etype, scope, payload=None):
    """Creates and publishes one event; returns (event id, ms before)."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgresql://musclemap@127.0.0.1:%d/musclemap" % mm.PG_PORT)
    env.setdefault("MM_REDIS_URL", "redis://127.0.0.1:%d" % mm.REDIS_PORT)
    env.setdefault("REDIS_ENABLED", "true")
    env["MM_RUN_DIR"] = RUN_DIR
    out = subprocess.run([os.path.join(BIN_DIR, "tests", "bench", "rtemit"), user_id or "",
                          etype, scope, json.dumps(payload or {})],
                         env=env, capture_output=True, text=True, check=True).stdout
    eid, ms = out.split()
    return eid, int(ms)


class Stream:
    """A subscriber: collects {"type":"activity"} messages with arrival times."""

    def __init__(self, kind, token=None):
        self.kind = kind
        self.arrivals = []
        self.all = []
        self.sock = None
        path = "/api/community/%s" % ("ws" if kind == "ws" else "events")
        if token is not None:
            path += "?token=" + token
        self.path = path
        self.status = None
        self.headers = {}
        self.body = b""
        self.closed = False
        if kind == "ws":
            self._open_ws()
        else:
            self._open_sse()
        if self.status in (101, 200):
            threading.Thread(target=self._run, daemon=True).start()

    # -- WebSocket (RFC 6455)
    def _open_ws(self):
        self.sock = socket.create_connection(("127.0.0.1", mm.HTTP_PORT), timeout=10,
                                             source_address=(mm.fresh_ip(), 0))
        self.key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (self.path, mm.HTTP_PORT, self.key))
        self.sock.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        if self.status != 101:
            n = int(self.headers.get("content-length", "0"))
            while len(rest) < n:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
            self.body = rest
            self.sock.close()
            return
        self.pending = rest

    def _recv_exact(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def send_frame(self, opcode, payload=b""):
        mask = os.urandom(4)
        hdr = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def _ws_frames(self):
        while True:
            b0, b1 = self._recv_exact(2)
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            if b1 & 0x80:
                raise AssertionError("server frames must not be masked")
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            yield opcode, self._recv_exact(n)

    # -- SSE
    def _open_sse(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", mm.HTTP_PORT, timeout=10,
                                               source_address=(mm.fresh_ip(), 0))
        self.conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        if self.status != 200:
            self.body = self.resp.read()
            self.conn.close()

    def _run(self):
        try:
            if self.kind == "ws":
                for opcode, payload in self._ws_frames():
                    if opcode == 0x1:
                        self._got(payload.decode())
                    elif opcode == 0x9:
                        self.send_frame(0xA, payload)
                    elif opcode == 0xA:
                        self.all.append(("pong", payload))
                    elif opcode == 0x8:
                        break
            else:
                while True:
                    line = self.resp.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\r\n")
                    if line.startswith("data:"):
                        self._got(line[5:].lstrip())
        except (OSError, EOFError, ValueError):
            pass
        self.closed = True

    def _got(self, text):
        t = time.time()
        msg = json.loads(text)
        self.all.append(msg)
        if msg.get("type") == "activity":
            self.arrivals.append((t, msg["data"]))

    def wait_for(self, event_id, timeout=3.0):
        """Returns (arrival time, event data) of event_id; fails after timeout."""
        deadline = time.time() + timeout
        while True:
            for t, data in list(self.arrivals):
                if data.get("id") == event_id:
                    return t, data
            if time.time() > deadline:
                raise mm.Failure("event %s not delivered to %s" % (event_id, self.path))
            time.sleep(0.01)

    def received_ids(self):
        return {m["data"]["id"] for m in self.all
                if isinstance(m, dict) and m.get("type") == "activity"}

    def close(self):
        try:
            if self.kind == "ws":
                self.sock.close()
            else:
                self.conn.close()
        except OSError:
            pass


def opened(kind, token=None):
    s = Stream(kind, token)
    mm.check(s.status in (101, 200), "%s handshake: %r %r" % (kind, s.status, s.body))
    time.sleep(0.2)     # let nchan register the subscription
    return s


def test_ws_handshake_rfc6455():
    s = opened("ws")
    try:
        mm.eq(s.status, 101, "status")
        expect = base64.b64encode(hashlib.sha1((s.key + WS_GUID).encode()).digest()).decode()
        mm.eq(s.headers.get("sec-websocket-accept"), expect, "Sec-WebSocket-Accept")
        mm.eq(s.headers.get("upgrade", "").lower(), "websocket", "Upgrade header")
        # The server answers a client ping with a pong carrying the same data.
        s.send_frame(0x9, b"hello")
        deadline = time.time() + 2
        while time.time() < deadline and ("pong", b"hello") not in s.all:
            time.sleep(0.05)
        mm.check(("pong", b"hello") in s.all, "pong received: %r" % s.all)
    finally:
        s.close()


def test_sse_stream_headers():
    s = opened("sse")
    try:
        mm.eq(s.status, 200, "status")
        mm.check(s.headers.get("content-type", "").startswith("text/event-stream"),
                 "content type %r" % s.headers.get("content-type"))
    finally:
        s.close()


def test_bad_tokens_refused_with_401_json():
    uid, _, _ = mm.create_user()
    bad = [
        "garbage",
        mm.make_token(uid, ttl=-10),                    # expired
        mm.make_token(uid, key="x" * 32),               # wrong key
        mm.make_token(uid, alg="none"),                 # alg none
        mm.make_token("user_" + "0" * 32),              # unknown user
    ]
    for kind in ("ws", "sse"):
        for tok in bad:
            s = Stream(kind, tok)
            mm.eq(s.status, 401, "%s with a bad token" % kind)
            body = json.loads(s.body)
            mm.eq(body["error"]["code"], "UNAUTHORIZED", "error code")
            mm.eq(body["error"]["statusCode"], 401, "statusCode")
            mm.check(s.headers.get("content-type", "").startswith("application/json"),
                     "JSON error body")
            mm.check("upgrade" not in s.headers, "no upgrade on 401")


def test_banned_user_refused_with_403():
    uid, tok, _ = mm.create_user(flags={"verified": False, "banned": True,
                                        "suspended": False, "emailConfirmed": False})
    for kind in ("ws", "sse"):
        s = Stream(kind, tok)
        mm.eq(s.status, 403, kind + " banned")
        mm.eq(json.loads(s.body)["error"]["code"], "FORBIDDEN", "code")


def test_authorization_endpoint_rejects_direct_calls():
    uid, tok, _ = mm.create_user()
    c = mm.Client()
    for path in ("/api/community/_rt/authorize", "/api/community/_rt/authorize?token=" + tok,
                 "/_rt/community/authorize?token=" + tok):
        r = c.get(path, headers={"X-Original-URI": "/api/community/ws?token=" + tok,
                                 "MM-RT-AUTH": "1"})
        mm.error(r, "NOT_FOUND", 404)
        mm.eq(r.header("X-MM-Channels"), None, "no channel list leaks")


def test_public_event_reaches_every_kind_of_subscriber_within_one_second():
    owner, _, uname = mm.create_user()
    _, tok, _ = mm.create_user()
    subs = [opened("ws"), opened("sse"), opened("ws", tok), opened("sse", tok)]
    try:
        eid, t0 = emit(owner, "workout_completed", "public_anon",
                       {"workoutId": "workout_x", "userId": owner, "username": uname,
                        "totalTu": 91.67, "topMuscles": ["chest-mid"], "exerciseCount": 1})
        for s in subs:
            t, data = s.wait_for(eid)
            mm.check(t * 1000 - t0 < 1000, "%s delivered in %.0f ms" % (s.path, t * 1000 - t0))
            mm.eq(data["eventType"], "workout_completed", "eventType")
            mm.eq(data["visibilityScope"], "public_anon", "scope")
            mm.eq(set(data), {"id", "eventType", "userId", "username", "displayName",
                              "payload", "visibilityScope", "createdAt"}, "event keys")
        # Anonymous subscribers see it without identity, signed-in ones with it.
        for s in subs[:2]:
            _, data = next((t, d) for t, d in [(0, m["data"]) for m in s.all
                                                if isinstance(m, dict)] if d["id"] == eid)
            mm.eq((data["userId"], data["username"], data["displayName"]), (None, None, None),
                  "anonymous identity")
            mm.check("userId" not in data["payload"] and "username" not in data["payload"],
                     "payload without identity: %r" % data["payload"])
            mm.eq(data["payload"]["totalTu"], 91.67, "rest of the payload kept")
        for s in subs[2:]:
            _, data = next((0, m["data"]) for m in s.all
                           if isinstance(m, dict) and m["data"]["id"] == eid)
            mm.eq(data["userId"], owner, "identity for members")
            mm.eq(data["username"], uname, "username for members")
            mm.eq(data["payload"]["userId"], owner, "payload userId for members")
        # The stream shows the event as the feed does.
        feed = mm.Client().get("/api/community/feed?limit=100").json["events"]
        match = [e for e in feed if e["id"] == eid]
        mm.eq(len(match), 1, "event in the anonymous feed")
        _, anon = next((0, m["data"]) for m in subs[0].all
                       if isinstance(m, dict) and m["data"]["id"] == eid)
        mm.eq(anon, match[0], "anonymous stream = anonymous feed object")
    finally:
        for s in subs:
            s.close()


def test_anonymous_subscriber_gets_only_public_anon():
    owner, _, _ = mm.create_user()
    other, other_tok, _ = mm.create_user()
    anon_ws, anon_sse = opened("ws"), opened("sse")
    member = opened("sse", other_tok)
    try:
        hidden = [emit(owner, "level_up", "public_profile", {"level": 2})[0],
                  emit(owner, "milestone_achieved", "private", {"milestoneId": "ms_x"})[0]]
        # A public_profile event through the API as well.
        mm.status(mm.Client(other_tok).post("/api/highfives/send", {"recipientId": owner}), 200)
        sentinel, _ = emit(owner, "workout_completed", "public_anon", {})
        for s in (anon_ws, anon_sse):
            s.wait_for(sentinel)
        member.wait_for(hidden[0])
        time.sleep(QUIET)
        for s in (anon_ws, anon_sse):
            got = s.received_ids()
            mm.check(not (got & set(hidden)), "anonymous got hidden events: %r" % got)
            kinds = {m["data"]["visibilityScope"] for m in s.all
                     if isinstance(m, dict) and m.get("type") == "activity"}
            mm.eq(kinds, {"public_anon"}, "scopes seen anonymously")
        mm.check(hidden[1] not in member.received_ids(), "another user's private event")
    finally:
        for s in (anon_ws, anon_sse, member):
            s.close()


def test_signed_in_subscriber_gets_own_private_events_only():
    me, tok, uname = mm.create_user()
    other, other_tok, _ = mm.create_user()
    mine_ws, mine_sse, theirs = opened("ws", tok), opened("sse", tok), opened("ws", other_tok)
    try:
        my_private, _ = emit(me, "milestone_achieved", "private",
                             {"milestoneId": "ms_first_workout", "name": "First"})
        their_private, _ = emit(other, "milestone_achieved", "private", {"milestoneId": "x"})
        profile, _ = emit(other, "level_up", "public_profile", {"level": 3})
        for s in (mine_ws, mine_sse):
            _, data = s.wait_for(my_private)
            mm.eq(data["userId"], me, "own identity")
            mm.eq(data["username"], uname, "own username")
            mm.eq(data["visibilityScope"], "private", "scope")
            s.wait_for(profile)
        theirs.wait_for(their_private)
        time.sleep(QUIET)
        for s in (mine_ws, mine_sse):
            mm.check(their_private not in s.received_ids(), "another user's private event")
        mm.check(my_private not in theirs.received_ids(), "my private event leaked")
    finally:
        for s in (mine_ws, mine_sse, theirs):
            s.close()


def test_blocks_apply_to_the_live_stream():
    a, a_tok, _ = mm.create_user()
    b, b_tok, _ = mm.create_user()
    c, c_tok, _ = mm.create_user()
    mm.psql("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES (:'p1', :'p2');", b, a)
    sa, sb, sc = opened("sse", a_tok), opened("ws", b_tok), opened("sse", c_tok)
    try:
        from_a = [emit(a, "workout_completed", "public_anon", {})[0],
                  emit(a, "level_up", "public_profile", {"level": 2})[0]]
        from_b = emit(b, "workout_completed", "public_anon", {})[0]
        from_c = emit(c, "workout_completed", "public_anon", {})[0]
        for e in from_a + [from_b, from_c]:
            sc.wait_for(e)
        sb.wait_for(from_c)
        sb.wait_for(from_b)         # its own public event
        sa.wait_for(from_c)
        sa.wait_for(from_a[0])      # its own
        time.sleep(QUIET)
        mm.check(not (sb.received_ids() & set(from_a)), "blocker got the blocked user's events")
        mm.check(from_b not in sa.received_ids(), "blocked user got the blocker's event")
        # Private events still reach their owner on a filtered stream.
        priv, _ = emit(b, "milestone_achieved", "private", {})
        sb.wait_for(priv)
        # The feed applies the same rule.
        ids = {e["id"] for e in mm.Client(b_tok).get("/api/community/feed?limit=100").json["events"]}
        mm.check(not (ids & set(from_a)), "feed hides the blocked user's events")
        mm.check(from_c in ids, "feed keeps the others")
    finally:
        for s in (sa, sb, sc):
            s.close()


def test_high_five_is_delivered_to_members_not_to_anonymous():
    a, a_tok, a_name = mm.create_user()
    b, b_tok, b_name = mm.create_user()
    member, anon = opened("ws", b_tok), opened("sse")
    try:
        t0 = time.time()
        mm.status(mm.Client(a_tok).post("/api/highfives/send",
                                         {"recipientId": b, "reason": "great set"}), 200)
        feed = mm.Client(b_tok).get("/api/community/feed?limit=5").json["events"]
        hf = next(e for e in feed if e["eventType"] == "high_five" and e["userId"] == a)
        t, data = member.wait_for(hf["id"])
        mm.check(t - t0 < 1.0, "delivered in %.3f s" % (t - t0))
        mm.eq(data, hf, "stream object = feed object")
        mm.eq(data["payload"], {"recipientId": b, "recipientUsername": b_name,
                                "reason": "great set"}, "payload")
        time.sleep(QUIET)
        mm.check(hf["id"] not in anon.received_ids(), "anonymous got a public_profile event")
    finally:
        member.close()
        anon.close()


def test_nginx_hosts_share_channels_through_redis():
    """A second nginx (another host behind the same balancer) with the same
    configuration and Redis delivers what the first one published."""
    if not os.path.exists(os.path.join(RUN_DIR, "redis.pid")):
        return      # REDIS_ENABLED=false: channels live in one host's memory
    conf = open(os.path.join(mm.VAR_DIR, "nginx", "nginx.conf")).read()
    if "nchan_redis_pass" not in conf:
        raise mm.Failure("Redis is running but nchan does not use it")
    port = mm.HTTP_PORT + 17
    d = os.path.join(mm.VAR_DIR, "tmp", "host2")
    os.makedirs(os.path.join(d, "log"), exist_ok=True)
    conf = conf.replace("listen 127.0.0.1:%d;" % mm.HTTP_PORT, "listen 127.0.0.1:%d;" % port)
    conf = conf.replace("listen 127.0.0.1:%d ssl http2;" % mm.HTTPS_PORT, "")
    conf = conf.replace(os.path.join(RUN_DIR, "nchan.sock"), os.path.join(d, "nchan.sock"))
    conf = conf.replace(os.path.join(RUN_DIR, "nginx.pid"), os.path.join(d, "nginx.pid"))
    conf = conf.replace(os.path.join(mm.VAR_DIR, "log", "nginx-error.log"),
                        os.path.join(d, "log", "error.log"))
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    subprocess.run(["nginx", "-q", "-c", os.path.join(d, "nginx.conf"), "-p", d + "/"],
                   check=True)
    try:
        time.sleep(0.5)
        owner, _, _ = mm.create_user()
        _, tok, _ = mm.create_user()
        global_port = mm.HTTP_PORT
        mm.HTTP_PORT = port
        try:
            far_anon, far_member = opened("sse"), opened("ws", tok)
        finally:
            mm.HTTP_PORT = global_port
        near = opened("sse")
        eid, t0 = emit(owner, "workout_completed", "public_anon", {})
        for s in (far_anon, far_member, near):
            t, _ = s.wait_for(eid)
            mm.check(t * 1000 - t0 < 1000, "delivered within a second on both hosts")
        for s in (far_anon, far_member, near):
            s.close()
    finally:
        with open(os.path.join(d, "nginx.pid")) as f:
            pid = int(f.read())
        os.kill(pid, 15)
        time.sleep(0.3)
