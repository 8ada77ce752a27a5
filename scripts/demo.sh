#!/usr/bin/env bash
# The demo, on a fresh Debian 12 machine as root: installs what is needed, builds the UI
# bundle, the desktop app, the relay and the seeding device, starts a local relay on an
# embedded SQLite file in a work dir, seeds it with a demo grid of invented residents (a
# seeding device enrolls, seeds its store and syncs up), then opens the desktop app with the
# relay address prefilled, enrolled at launch with a one-time code (printed too, to type by
# hand should that fail). Ctrl-C stops relay and app.
#
#   bash scripts/demo.sh [--once]
#     WANGGE_DEMO_DIR   work dir (default: demo-data); a second run reuses relay and app data
#     WANGGE_DEMO_PORT  relay port on 127.0.0.1 (default: 3030)
#     --once            without a display: take the screenshot and stop (no Ctrl-C wait)
#
# Without a display ($DISPLAY empty) the app runs under Xvfb and a screenshot is saved in the
# work dir. The store-only demo of the core library is still there:
#   cargo run -p wangge-core --example demo -- demo-data/core
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
once=0
for a in "$@"; do
  case "$a" in
    --once) once=1 ;;
    *) echo "usage: $0 [--once]" >&2; exit 2 ;;
  esac
done
work=$(mkdir -p "${WANGGE_DEMO_DIR:-demo-data}" && cd "${WANGGE_DEMO_DIR:-demo-data}" && pwd)
port="${WANGGE_DEMO_PORT:-3030}"
url="http://127.0.0.1:$port"
grid=110105001001001

echo "== installing what is missing"
bash scripts/deps.sh --demo

echo "== building the UI bundle, the app, the relay and the seeding device"
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ] \
  || [ ui/package.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
(cd ui && npm run build)
# One build, as scripts/e2e.sh does: one feature resolution, so nothing is built twice.
cargo build --locked --workspace --bins --examples --features wangge-app/custom-protocol
target="${CARGO_TARGET_DIR:-$root/target}"
relay_bin="$target/debug/wangge-relay"
app_bin="$target/debug/wangge-app"
seed_bin="$target/debug/examples/seed_relay"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "stopped (data kept in $work)"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "error: port $port is taken; set WANGGE_DEMO_PORT to a free port" >&2
  exit 1
fi
export WANGGE_DATABASE="sqlite:$work/relay.db"
if [ ! -f "$work/.relay-set-up" ]; then
  rm -f "$work/relay.db" "$work/relay.db-wal" "$work/relay.db-shm"
  echo "== setting up the relay's divisions, grid and users ($work/relay.db)"
  "$relay_bin" admin add-division --code 110105 --name 朝阳区 >/dev/null
  "$relay_bin" admin add-division --code 110105001 --name 建外街道 >/dev/null
  "$relay_bin" admin add-division --code 110105001001 --name 幸福社区 >/dev/null
  "$relay_bin" admin add-grid --code "$grid" --name 第一网格 >/dev/null
  "$relay_bin" admin add-user --name 演示数据 --role member --scope "$grid" >"$work/seed-user"
  "$relay_bin" admin add-user --name 演示网格员 --role member --scope "$grid" >"$work/member-user"
  # The rest of the chain of command, for trying an event's way up and back with more
  # instances of the app (printed below with their enrollment codes).
  "$relay_bin" admin add-department --code 110105001-cgj --name 城管科 >/dev/null
  "$relay_bin" admin add-user --name 演示网格长 --role leader --scope "$grid" >"$work/leader-user"
  "$relay_bin" admin add-user --name 演示社区 --role chief-leader --scope 110105001001 >"$work/community-user"
  "$relay_bin" admin add-user --name 演示指挥中心 --role centre --scope 110105001 >"$work/centre-user"
  "$relay_bin" admin add-user --name 演示城管科 --role department --scope 110105001-cgj >"$work/department-user"
  touch "$work/.relay-set-up"
fi

echo "== starting the relay on $url"
WANGGE_LISTEN="127.0.0.1:$port" "$relay_bin" serve >>"$work/relay.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -sf "$url/healthz" >/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "error: the relay stopped; see $work/relay.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$url/healthz" >/dev/null || { echo "error: the relay does not answer; see $work/relay.log" >&2; exit 1; }

if [ ! -f "$work/.seeded" ]; then
  echo "== seeding the demo grid through a seeding device (invented residents)"
  rm -rf "$work/seeder"
  "$seed_bin" "$url" "$("$relay_bin" admin enroll-code --user "$(cat "$work/seed-user")")" "$work/seeder" 40
  touch "$work/.seeded"
fi

code=""
if [ ! -f "$work/app/device.json" ]; then
  code=$("$relay_bin" admin enroll-code --user "$(cat "$work/member-user")" --ttl-hours 24)
fi
mkdir -p "$work/app"
export WANGGE_DATA_DIR="$work/app" WANGGE_RELAY_URL="$url"
if [ -n "$code" ]; then
  export WANGGE_ENROLL_CODE="$code"
  cat <<EOF

  网格通 demo: relay $url, grid $grid (40 invented households).
  The app enrolls itself at launch with the one-time code $code
  (WANGGE_ENROLL_CODE) and syncs the grid down. Should that fail, its first-run screen
  has the relay address filled in: type the code there and press 注册本设备.

EOF
fi

# One more instance per role of the chain, each with its own data directory, if wanted.
if [ -f "$work/centre-user" ]; then
  echo "== the chain of command: start another instance as one of these (one-time codes, 24 h)"
  for role in leader community centre department; do
    [ -f "$work/$role/device.json" ] && continue
    c=$("$relay_bin" admin enroll-code --user "$(cat "$work/$role-user")" --ttl-hours 24)
    echo "   $role: WANGGE_DATA_DIR=$work/$role WANGGE_RELAY_URL=$url WANGGE_ENROLL_CODE=$c $app_bin"
  done
fi

if [ -n "${DISPLAY:-}" ]; then
  echo "== opening the app (data: $work/app); Ctrl-C stops relay and app"
  "$app_bin" >>"$work/app.log" 2>&1 &
  pids+=($!)
  wait "${pids[-1]}" || true
  exit 0
fi

echo "== no display (\$DISPLAY is empty): running the app under Xvfb"
echo "   (on a desktop, run this script from a graphical session to see the window;"
echo "    by hand: Xvfb :99 -screen 0 1280x1024x24 & DISPLAY=:99 $app_bin)"
disp=""
for n in $(seq 90 120); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then disp=":$n"; break; fi
done
[ -n "$disp" ] || { echo "error: no free X display number" >&2; exit 1; }
Xvfb "$disp" -screen 0 1280x1024x24 -nolisten tcp >>"$work/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${disp#:}" ] && break; sleep 0.1; done
DISPLAY="$disp" "$app_bin" >>"$work/app.log" 2>&1 &
pids+=($!)
# wait (bounded) for the enrollment to be saved, then give the grid a moment to sync down
# and the window to draw before the screenshot
for _ in $(seq 60); do [ -f "$work/app/device.json" ] && break; sleep 0.5; done
[ -f "$work/app/device.json" ] || echo "warning: the app did not enroll (see $work/app.log); the screenshot shows the first-run screen"
sleep 6
kill -0 "${pids[-1]}" 2>/dev/null || { echo "error: the app stopped; see $work/app.log" >&2; exit 1; }
DISPLAY="$disp" import -window root "$work/demo-screen.png"
echo "screenshot of the app: $work/demo-screen.png"
if [ "$once" = 1 ]; then exit 0; fi
echo "relay and app keep running (display $disp); Ctrl-C stops them"
wait "${pids[-1]}" || true
