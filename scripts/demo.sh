#!/usr/bin/env bash
# The demo: 1) busybox containers straight through the OCI runtime, bin/berth-runtime; 2) the
# engine: berth starts berthd, imports an image, and runs a web server in a container that
# answers from the host, with ps, exec, logs, stop and rm.
set -euo pipefail
cd "$(dirname "$0")/.."
BR="$PWD/bin/berth-runtime --root /run/berth-runtime-demo"
DIR=/var/tmp/berth-demo
for id in demo-once demo-web; do $BR delete --force "$id" >/dev/null 2>&1 || true; done
rm -rf "$DIR"
mkdir -p "$DIR"
node_modules/.bin/node -e "import('./test/fixtures/busybox.ts').then((m) => m.makeBusyboxRootfs('$DIR/rootfs'))"
cd "$DIR"
$BR spec
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# A one-shot container: its own pid, uts, ipc, net and mount namespaces, 3 capabilities,
# a read-only root, a memory limit.
node_modules_node="$OLDPWD/node_modules/.bin/node"
"$node_modules_node" -e '
const fs = require("fs");
const c = JSON.parse(fs.readFileSync("config.json"));
c.process.terminal = false;
c.process.args = ["sh", "-c", "echo hostname: $(hostname); echo pid: $$; ps; grep -E \"^(CapEff|NoNewPrivs)\" /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; touch /x || true"];
c.linux.resources.memory = { limit: 64 * 1024 * 1024 };
fs.writeFileSync("config.json", JSON.stringify(c, null, 2));'
say berth-runtime run demo-once
$BR run demo-once

# A long-running web server.
"$node_modules_node" -e '
const fs = require("fs");
const c = JSON.parse(fs.readFileSync("config.json"));
c.process.args = ["httpd", "-f", "-p", "8080", "-h", "/www"];
c.root.readonly = false;
fs.writeFileSync("config.json", JSON.stringify(c, null, 2));'
mkdir -p rootfs/www && echo '<h1>hello from a berth container</h1>' > rootfs/www/index.html
say berth-runtime create demo-web '&&' berth-runtime start demo-web
# the server keeps the stdio it is created with: give it a log file, not this terminal
$BR create demo-web </dev/null >"$DIR/web.log" 2>&1 || { cat "$DIR/web.log"; exit 1; }
$BR start demo-web
$BR state demo-web
say berth-runtime exec demo-web wget -qO- http://127.0.0.1:8080/
$BR exec demo-web wget -qO- http://127.0.0.1:8080/
say berth-runtime ps demo-web
$BR ps demo-web
say berth-runtime pause demo-web '&&' berth-runtime list
$BR pause demo-web
$BR list
$BR resume demo-web
say berth-runtime kill demo-web KILL '&&' berth-runtime delete demo-web
$BR kill demo-web KILL
sleep 0.2
$BR delete demo-web
$BR list

# The engine: berth starts berthd by itself (here on a socket and data root of the demo's own),
# imports the busybox root file system as an image, and manages it like docker would.
export BERTH_HOST=unix://$DIR/berth.sock
# the demo's default bridge network gets a bridge of its own, removed at the end
export BERTH_DAEMON_ARGS="--data-root $DIR/data --exec-root $DIR/exec --config-file $DIR/daemon.json --bridge berthdemo0"
echo '{}' > "$DIR/daemon.json"
B="$OLDPWD/bin/berth"
tar -C rootfs -cf rootfs.tar .
say 'berth import -c '"'"'CMD ["httpd","-f","-p","8080"]'"'"' rootfs.tar demo/busybox:1'
$B import -c 'CMD ["httpd","-f","-p","8080"]' rootfs.tar demo/busybox:1
say berth images
$B images
say berth image inspect -f '{{.Config.Cmd}} {{.RootFS.Layers}}' demo/busybox:1
$B image inspect -f '{{.Config.Cmd}} {{.RootFS.Layers}}' demo/busybox:1
say berth save -o image.tar demo/busybox:1 '&&' berth rmi demo/busybox:1 '&&' berth load -i image.tar
$B save -o image.tar demo/busybox:1
$B rmi demo/busybox:1
$B load -i image.tar

# Containers: a web server on a user network with a published port, another container
# finding it by name, a one-shot container, exec, logs, stop and remove.
say berth run --rm demo/busybox:1 sh -c '"echo hello from \$(hostname) at \$(ip -o -4 addr show eth0 | cut -d\" \" -f7)"'
$B run --rm demo/busybox:1 sh -c 'echo hello from $(hostname) at $(ip -o -4 addr show eth0 | cut -d" " -f7)'
$B rm -f demo-web >/dev/null 2>&1 || true
$B network rm demo-net >/dev/null 2>&1 || true
say berth network create -o com.docker.network.bridge.name=berthdemo1 demo-net
$B network create -o com.docker.network.bridge.name=berthdemo1 demo-net >/dev/null
say berth run -d --name demo-web --network demo-net -p 18080:80 demo/busybox:1 httpd -f -v -p 80 -h /www
$B run -d --name demo-web --network demo-net -p 18080:80 demo/busybox:1 httpd -f -v -p 80 -h /www
say 'wget -qO- http://127.0.0.1:18080/     # from the host, through the published port'
for _ in $(seq 50); do busybox wget -qO- http://127.0.0.1:18080/ 2>/dev/null && break; sleep 0.1; done
say berth run --rm --network demo-net demo/busybox:1 sh -c "'printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | nc demo-web 80 | tail -1'     # by name"
$B run --rm --network demo-net demo/busybox:1 sh -c 'printf "GET / HTTP/1.0\r\n\r\n" | nc demo-web 80 | tail -1'
say berth ps
$B ps
say berth exec demo-web ps
$B exec demo-web ps
say berth logs demo-web
$B logs demo-web
say berth stop demo-web '&&' berth rm demo-web
$B stop -t 1 demo-web
$B rm demo-web
$B network rm demo-net >/dev/null
say berth system df
$B system df
kill "$(cat "$DIR/exec/berthd.pid")"
sleep 0.3
nft delete table inet berth-berthdemo0 2>/dev/null || true
ip link del berthdemo0 2>/dev/null || true
cd / && rm -rf "$DIR"
