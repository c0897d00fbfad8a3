#!/usr/bin/env bash
# Makes sure the real peers and services the tests talk to are present and answering.
set -euo pipefail

apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
/usr/bin/python3 -c 'import websockets' 2>/dev/null || apt_packages+=(python3-websockets)
command -v redis-server >/dev/null || apt_packages+=(redis-server)
command -v nats-server >/dev/null || apt_packages+=(nats-server)
[ -x /usr/sbin/nginx ] || apt_packages+=(nginx-light)  # proxies in test/proxy-nginx and test/sticky-free-cluster, started per test
[ -x /usr/sbin/haproxy ] || apt_packages+=(haproxy)  # test/deployment: deploy/haproxy/switchboard.cfg, started per test
command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || apt_packages+=(golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev)  # test/deployment: Helm templates without helm
command -v buildah >/dev/null && command -v mmdebstrap >/dev/null || apt_packages+=(buildah podman mmdebstrap)  # test/deployment-image: builds deploy/Dockerfile
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "installing test peers: ${apt_packages[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! answers 6379; then
  echo "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
if ! answers 4222; then
  echo "starting nats-server on 127.0.0.1:4222"
  nohup nats-server -a 127.0.0.1 -p 4222 -js >/tmp/switchboard-nats.log 2>&1 &
fi
for _ in $(seq 50); do answers 6379 && answers 4222 && exit 0; sleep 0.1; done
echo "redis or nats did not come up" >&2
exit 1
