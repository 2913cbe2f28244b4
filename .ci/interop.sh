#!/usr/bin/env bash
# Interop checks of the example programs against SIP software nobody here
# wrote, on 127.0.0.1 only (issue 9):
#  (a) Kamailio 5.6 (presence + presence_xml) as presence server on :5070:
#      our `publish`, `watcher --once` (UDP and TCP, un-subscribing) and `im`;
#  (b) sipp as a client against our `presence-server` on :5090: the PUBLISH,
#      PUBLISH refresh/remove, SUBSCRIBE/NOTIFY and MESSAGE scenarios of
#      ../shared/peers/sipp over UDP and TCP, then a load run;
#  (c) our own programs against our server, with and without pres-rules;
#  (d) when baresip is installed (apt-get install baresip-core, or
#      INTEROP_BARESIP=1 to have this script install it): baresip 1.0
#      publishing to and subscribing through our server, and receiving our
#      MESSAGE;
#  (e) our msrp-send-file to msrp-recv-file (bytes compared) and an
#      msrp-chat echo round trip.
# Installs what it needs with apt-get (when run as root), starts and stops
# every peer itself, prints one PASS/FAIL line per check and a final
# "N passed, M failed" line; exits non-zero when anything failed.
#
# Environment: CARGO_TARGET_DIR (default <repo>/target), LOAD_RATE (200 per
# second) and LOAD_CALLS (4000, i.e. 20 s) for the load run, KEEP=1 keeps
# the logs.
set -u

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
PEERS=$(cd "$ROOT/../shared/peers" 2>/dev/null && pwd) || {
    echo "FAIL setup: $ROOT/../shared/peers not found"
    echo "0 passed, 1 failed"
    exit 1
}
SCEN=$PEERS/sipp
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-interop.XXXXXX")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/debug/examples
KAM_PORT=5070
SRV_PORT=5090
RULES_PORT=5092
MSRP_PORT=5094
LOAD_RATE=${LOAD_RATE:-200}
LOAD_CALLS=${LOAD_CALLS:-4000}
KAM_RUNDIR=$WORK/kamailio
PIDS=()
PASSED=0
FAILED=0

# Whether process $1 still runs (a zombie left to an init that does not
# reap counts as gone).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case "$st" in Z*) return 1 ;; esac
    return 0
}

cleanup() {
    # Last started first: baresip un-publishes through our server on exit,
    # so the server must outlive it. Each gets 5 s, then SIGKILL.
    local i p
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        p=${PIDS[i]}
        kill "$p" 2>/dev/null || continue
        for _ in $(seq 1 50); do
            alive "$p" || break
            sleep 0.1
        done
        alive "$p" && kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ -f "$KAM_RUNDIR/kamailio.pid" ] || [ -d "$KAM_RUNDIR" ]; then
        PORT=$KAM_PORT RUNDIR=$KAM_RUNDIR "$PEERS/stop-kamailio.sh" >/dev/null 2>&1
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 15 "$2" | sed 's/^/    | /'
}

# check NAME LOG CMD...: passes when CMD exits 0.
check() {
    local name=$1 log=$2
    shift 2
    if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name" "$log"; fi
}

# expect NAME LOG PATTERN...: passes when LOG holds every PATTERN (grep -E).
expect() {
    local name=$1 log=$2
    shift 2
    for pat in "$@"; do
        if ! grep -Eq -- "$pat" "$log"; then
            fail "$name (missing /$pat/)" "$log"
            return
        fi
    done
    pass "$name"
}

# --- setup ---------------------------------------------------------------
need_install=0
command -v sipp >/dev/null 2>&1 || need_install=1
command -v kamailio >/dev/null 2>&1 || need_install=1
dpkg -s kamailio-presence-modules >/dev/null 2>&1 || need_install=1
if [ "$need_install" = 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "FAIL setup: kamailio, kamailio-presence-modules and sip-tester are needed (run as root to install)"
        echo "0 passed, 1 failed"
        exit 1
    fi
    echo "installing kamailio, kamailio-presence-modules, sip-tester"
    apt-get update >"$WORK/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        kamailio kamailio-presence-modules sip-tester >>"$WORK/apt.log" 2>&1 || {
        fail "setup: apt-get install" "$WORK/apt.log"
        echo "$PASSED passed, $FAILED failed"
        exit 1
    }
fi

if [ "${INTEROP_BARESIP:-0}" = 1 ] && ! command -v baresip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing baresip-core"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends baresip-core \
        >>"$WORK/apt.log" 2>&1 || echo "baresip-core could not be installed"
fi

echo "building the examples"
if ! (cd "$ROOT" && cargo build -q -p examples --examples) >"$WORK/build.log" 2>&1; then
    fail "build: cargo build -p examples --examples" "$WORK/build.log"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi

# sipp common options; every run gets its own local port so TCP TIME_WAIT
# never collides.
SIPP_PORT=5100
sipp_run() { # NAME TARGET SCENARIO [extra sipp args...]
    local name=$1 target=$2 scen=$3
    shift 3
    SIPP_PORT=$((SIPP_PORT + 1))
    check "$name" "$WORK/sipp-$SIPP_PORT.log" \
        sipp "$target" -sf "$SCEN/$scen" -i 127.0.0.1 -p "$SIPP_PORT" -m 1 \
        -nostdin -timeout 15 -timeout_error "$@"
}

# --- (a) Kamailio as presence server ----------------------------------------
echo "== Kamailio on 127.0.0.1:$KAM_PORT"
if PORT=$KAM_PORT RUNDIR=$KAM_RUNDIR "$PEERS/start-kamailio.sh" >"$WORK/kamailio-start.log" 2>&1; then
    pass "kamailio: started"
    K=127.0.0.1:$KAM_PORT
    NOTE_OPEN="interop $$ open"
    NOTE_CLOSED="interop $$ closed"
    check "kamailio: publish (UDP) basic=open gets 2xx" "$WORK/k-publish.log" \
        "$BIN/publish" --server "$K" --as sip:alice@127.0.0.1 --basic open --note "$NOTE_OPEN"
    check "kamailio: watcher --once (UDP) exits 0" "$WORK/k-watch-udp.log" \
        timeout 30 "$BIN/watcher" --server "$K" --as sip:bob@127.0.0.1 --watch sip:alice@127.0.0.1 --once
    expect "kamailio: NOTIFY (UDP) carries the published document" "$WORK/k-watch-udp.log" \
        "NOTIFY Subscription-State: active" "<basic>open</basic>" "$NOTE_OPEN"
    expect "kamailio: un-subscribe (UDP) gets 200 and the terminated NOTIFY" "$WORK/k-watch-udp.log" \
        "NOTIFY Subscription-State: terminated" "^unsubscribed: Terminated"
    check "kamailio: publish (TCP) basic=closed gets 2xx" "$WORK/k-publish-tcp.log" \
        "$BIN/publish" --tcp --server "$K" --as sip:carol@127.0.0.1 --basic closed --note "$NOTE_CLOSED"
    check "kamailio: watcher --once --tcp exits 0" "$WORK/k-watch-tcp.log" \
        timeout 30 "$BIN/watcher" --tcp --server "$K" --as sip:bob@127.0.0.1 --watch sip:carol@127.0.0.1 --once
    expect "kamailio: NOTIFY (TCP) carries the published document" "$WORK/k-watch-tcp.log" \
        "<basic>closed</basic>" "$NOTE_CLOSED" "^unsubscribed: Terminated"
    if grep -q "SIP/2.0/TCP" "$KAM_RUNDIR"/kamailio-sipdump-*.data 2>/dev/null; then
        pass "kamailio: the TCP checks really went over TCP (sipdump)"
    else
        fail "kamailio: no TCP message in kamailio's sipdump"
    fi
    check "kamailio: im MESSAGE to sip:sink@127.0.0.1:$KAM_PORT gets 200" "$WORK/k-im.log" \
        "$BIN/im" --server "$K" --as sip:alice@127.0.0.1 --to sip:sink@127.0.0.1:$KAM_PORT "hello from interop $$"
    check "kamailio: im --cpim --tcp MESSAGE gets 200" "$WORK/k-im-cpim.log" \
        "$BIN/im" --cpim --tcp --server "$K" --as sip:alice@127.0.0.1 --to sip:sink@127.0.0.1:$KAM_PORT "cpim from interop $$"
    check "kamailio: watcher of a bad server address fails (non-zero)" "$WORK/k-watch-bad.log" \
        bash -c "! timeout 30 '$BIN/watcher' --server 127.0.0.1:5079 --as sip:bob@127.0.0.1 --watch sip:alice@127.0.0.1 --once --timeout 3"
    PORT=$KAM_PORT RUNDIR=$KAM_RUNDIR "$PEERS/stop-kamailio.sh" >/dev/null 2>&1
else
    fail "kamailio: start" "$WORK/kamailio-start.log"
fi

# --- (b) sipp against our presence-server -----------------------------------
echo "== presence-server on 127.0.0.1:$SRV_PORT"
"$BIN/presence-server" --listen 127.0.0.1:$SRV_PORT --allow-all >"$WORK/server.log" 2>&1 &
SRV_PID=$!
PIDS+=("$SRV_PID")
up=0
for _ in $(seq 1 50); do
    if grep -q "listening" "$WORK/server.log" 2>/dev/null; then up=1; break; fi
    sleep 0.1
done
if [ "$up" = 1 ]; then
    pass "presence-server: started"
    S=127.0.0.1:$SRV_PORT
    for t in u1 t1; do
        tn=$([ "$t" = u1 ] && echo UDP || echo TCP)
        sipp_run "sipp $tn: publish.xml (PUBLISH -> 200 + SIP-ETag)" "$S" publish.xml -t "$t" -s alice
        sipp_run "sipp $tn: publish-refresh.xml (refresh, 412, remove)" "$S" publish-refresh.xml -t "$t" -s carol
        sipp_run "sipp $tn: subscribe.xml (200, NOTIFY open, unsubscribe, terminated)" "$S" subscribe.xml -t "$t" -s alice
        sipp_run "sipp $tn: message-uac.xml (MESSAGE -> 200)" "$S" message-uac.xml -t "$t" -s bob
    done

    SIPP_PORT=$((SIPP_PORT + 1))
    LOAD_LOG=$WORK/sipp-load.log
    LOAD_STAT=$WORK/sipp-load.csv
    check "sipp UDP load: $LOAD_CALLS subscriptions at $LOAD_RATE/s exit 0" "$LOAD_LOG" \
        sipp "$S" -sf "$SCEN/subscribe.xml" -s alice -i 127.0.0.1 -p "$SIPP_PORT" \
        -r "$LOAD_RATE" -m "$LOAD_CALLS" -nostdin -timeout 120 -timeout_error \
        -trace_stat -stf "$LOAD_STAT"
    if [ -f "$LOAD_STAT" ]; then
        stat() { # column name -> value in the last line
            awk -F';' -v col="$1" 'NR==1{for(i=1;i<=NF;i++) if($i==col) c=i} END{print $c}' "$LOAD_STAT"
        }
        ok_calls=$(stat "SuccessfulCall(C)")
        failed_calls=$(stat "FailedCall(C)")
        retrans=$(stat "Retransmissions(C)")
        echo "    load: successful=$ok_calls failed=$failed_calls retransmissions=$retrans"
        if [ "$ok_calls" = "$LOAD_CALLS" ] && [ "$failed_calls" = 0 ]; then
            pass "sipp UDP load: $ok_calls successful calls, 0 failed"
        else
            fail "sipp UDP load: successful=$ok_calls failed=$failed_calls" "$LOAD_LOG"
        fi
        # No retransmission storm: at most 1 retransmission per 20 calls.
        if [ -n "$retrans" ] && [ "$retrans" -le $((LOAD_CALLS / 20)) ]; then
            pass "sipp UDP load: no retransmission storm ($retrans retransmissions)"
        else
            fail "sipp UDP load: $retrans retransmissions" "$LOAD_LOG"
        fi
    else
        fail "sipp UDP load: no statistics file" "$LOAD_LOG"
    fi

    # --- (c) our own programs against our server ---------------------------
    check "ours: publish to presence-server" "$WORK/o-publish.log" \
        "$BIN/publish" --server "$S" --as sip:erin@127.0.0.1 --basic open --note "ours $$"
    check "ours: watcher --once --tcp against presence-server" "$WORK/o-watch.log" \
        timeout 30 "$BIN/watcher" --tcp --server "$S" --as sip:bob@127.0.0.1 --watch sip:erin@127.0.0.1 --once
    expect "ours: the NOTIFY carries the document, un-subscribe terminates" "$WORK/o-watch.log" \
        "<basic>open</basic>" "ours $$" "^unsubscribed: Terminated"
    check "ours: im --cpim to presence-server" "$WORK/o-im.log" \
        "$BIN/im" --cpim --server "$S" --as sip:bob@127.0.0.1 --to sip:erin@127.0.0.1 "hi erin"
    expect "presence-server: one log line per transaction" "$WORK/server.log" \
        "^UDP 127.0.0.1:[0-9]+ PUBLISH sip:alice@127.0.0.1:$SRV_PORT .*-> 200" \
        "^TCP 127.0.0.1:[0-9]+ SUBSCRIBE .*-> 200" "^UDP 127.0.0.1:[0-9]+ MESSAGE .*-> 200" \
        "^NOTIFY sip:watcher@127.0.0.1 for alice -> 200"
else
    fail "presence-server: start" "$WORK/server.log"
fi

# --- (c') pres-rules: default deny ------------------------------------------
echo "== presence-server with --rules on 127.0.0.1:$RULES_PORT"
mkdir -p "$WORK/rules"
cat >"$WORK/rules/frank.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"
         xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <rule id="bob">
    <conditions><identity><one id="sip:bob@127.0.0.1"/></identity></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions>
    <transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-all-attributes/>
    </transformations>
  </rule>
</ruleset>
EOF
"$BIN/presence-server" --listen 127.0.0.1:$RULES_PORT --rules "$WORK/rules" >"$WORK/server-rules.log" 2>&1 &
PIDS+=("$!")
sleep 0.3
R=127.0.0.1:$RULES_PORT
check "rules: publish for frank" "$WORK/r-publish.log" \
    "$BIN/publish" --server "$R" --as sip:frank@127.0.0.1 --basic open --note "frank $$"
check "rules: bob (allowed by frank.xml) gets the document" "$WORK/r-bob.log" \
    timeout 30 "$BIN/watcher" --server "$R" --as sip:bob@127.0.0.1 --watch sip:frank@127.0.0.1 --once
check "rules: eve (no rule) is refused (default deny)" "$WORK/r-eve.log" \
    bash -c "! timeout 30 '$BIN/watcher' --server '$R' --as sip:eve@127.0.0.1 --watch sip:frank@127.0.0.1 --once --timeout 5"
expect "rules: bob's NOTIFY carries frank's filtered document" "$WORK/r-bob.log" \
    "<basic>open</basic>" "frank $$"
expect "rules: eve got 403" "$WORK/r-eve.log" "SUBSCRIBE -> 403"

# --- (d) baresip against our presence-server -------------------------------
if command -v baresip >/dev/null 2>&1 && [ -n "${SRV_PID:-}" ] && kill -0 "$SRV_PID" 2>/dev/null; then
    echo "== baresip on 127.0.0.1:5280 through presence-server"
    S=127.0.0.1:$SRV_PORT
    check "baresip: publish for ida (the contact baresip watches)" "$WORK/b-publish.log" \
        "$BIN/publish" --server "$S" --as sip:ida@127.0.0.1 --basic open --note "ida $$"
    if BP=$(NAME=gus SIP_PORT=5280 CONS_PORT=5555 PROXY=sip:$S WATCH="sip:ida@127.0.0.1" \
        BASEDIR="$WORK/baresip" "$PEERS/start-baresip.sh" 2>"$WORK/b-start.log" | tail -n 1); then
        PIDS+=("$BP")
        pass "baresip: started"
        # baresip publishes gus (ONLINE=1) and subscribes to ida through us.
        up=0
        for _ in $(seq 1 50); do
            if grep -q "PUBLISH sip:gus@127.0.0.1 .*-> 200" "$WORK/server.log" &&
                grep -q "NOTIFY sip:gus@127.0.0.1 for ida -> 200" "$WORK/server.log"; then
                up=1
                break
            fi
            sleep 0.1
        done
        if [ "$up" = 1 ]; then
            pass "baresip: PUBLISH accepted and its SUBSCRIBE notified (NOTIFY 200)"
        else
            fail "baresip: no PUBLISH/NOTIFY exchange with baresip" "$WORK/server.log"
        fi
        python3 "$PEERS/baresip/cons.py" 5555 "/contacts" 0.5 >"$WORK/b-contacts.log" 2>&1
        expect "baresip: shows ida Online from our NOTIFY" "$WORK/b-contacts.log" "Online.*ida@127.0.0.1"
        check "baresip: our watcher sees gus's document (published by baresip)" "$WORK/b-watch.log" \
            timeout 30 "$BIN/watcher" --server "$S" --as sip:bob@127.0.0.1 --watch sip:gus@127.0.0.1 --once
        expect "baresip: gus is open" "$WORK/b-watch.log" "basic=open"
        check "baresip: our im MESSAGE to baresip gets 200" "$WORK/b-im.log" \
            "$BIN/im" --server 127.0.0.1:5280 --as sip:bob@127.0.0.1 --to sip:gus@127.0.0.1:5280 "hello gus"
    else
        fail "baresip: start" "$WORK/b-start.log"
    fi
else
    echo "SKIP baresip checks (baresip not installed: INTEROP_BARESIP=1 installs baresip-core)"
fi

# --- (e) our MSRP tools against each other -----------------------------------
# A file offered by INVITE (RFC 5547), sent over MSRP and compared byte for
# byte, then a chat echo round trip.
echo "== msrp-recv-file and msrp-chat on 127.0.0.1:$MSRP_PORT"
mkdir -p "$WORK/msrp-in"
head -c 3000017 /dev/urandom >"$WORK/msrp-file.bin"
"$BIN/msrp-recv-file" --listen 127.0.0.1:$MSRP_PORT --dir "$WORK/msrp-in" --once >"$WORK/msrp-recv.log" 2>&1 &
PIDS+=("$!")
MR_PID=$!
for _ in $(seq 1 50); do grep -q listening "$WORK/msrp-recv.log" 2>/dev/null && break; sleep 0.1; done
check "msrp: msrp-send-file gets the success REPORT" "$WORK/msrp-send.log" \
    timeout 60 "$BIN/msrp-send-file" --server 127.0.0.1:$MSRP_PORT --as sip:alice@127.0.0.1 \
    --to sip:bob@127.0.0.1:$MSRP_PORT "$WORK/msrp-file.bin"
for _ in $(seq 1 50); do alive "$MR_PID" || break; sleep 0.1; done
expect "msrp: msrp-recv-file received the file" "$WORK/msrp-recv.log" "^received msrp-file.bin \(3000017 bytes\)"
check "msrp: the received file is byte-identical" "$WORK/msrp-cmp.log" \
    cmp "$WORK/msrp-file.bin" "$WORK/msrp-in/msrp-file.bin"
"$BIN/msrp-chat" --listen 127.0.0.1:$((MSRP_PORT + 1)) --echo --once >"$WORK/msrp-chat-l.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 50); do grep -q listening "$WORK/msrp-chat-l.log" 2>/dev/null && break; sleep 0.1; done
check "msrp: msrp-chat round trip with an echoing listener" "$WORK/msrp-chat.log" \
    timeout 30 "$BIN/msrp-chat" --server 127.0.0.1:$((MSRP_PORT + 1)) --as sip:alice@127.0.0.1 \
    --to sip:bob@127.0.0.1:$((MSRP_PORT + 1)) --expect 1 "echo $$"
expect "msrp: the echo came back" "$WORK/msrp-chat.log" "^received: echo $$\$"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
