#!/usr/bin/env bash
# Installs what poolcheck's tests and demo need, from Debian's packages, when missing:
# MariaDB's server (mariadbd, mariadb-install-db) and client, openssl (TLS test
# certificates), Python's venv (the SQLAlchemy proof installs SQLAlchemy and
# PyMySQL from PyPI into a venv of its own) and man with groff (the test that
# `poolcheck man` renders), unshare and ip (the DNS tests' private network
# namespace), nftables (the tests' kernel NAT in network namespaces,
# tests/it/common/netns.rs), and the framework proofs' runtimes
# (tests/it/framework_proofs.rs): what mysqlclient builds with, Node.js with
# npm, Go with go-sql-driver, a JDK with HikariCP, MariaDB Connector/J and
# SLF4J, Ruby with Active Record and mysql2, PHP with PDO MySQL and Laravel's
# Illuminate components. Safe to run again.
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v nroff >/dev/null 2>&1 || need+=(groff-base)
# tests/it/dns.rs runs poolcheck in a private network namespace.
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need+=(iproute2)
if ! command -v python3 >/dev/null 2>&1; then
  need+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi

# The framework proofs. Debian's package names, installed when missing.
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in pkg-config build-essential default-libmysqlclient-dev golang-go golang-github-go-sql-driver-mysql-dev \
  default-jdk-headless libhikaricp-java libmariadb-java libslf4j-java ruby ruby-activerecord ruby-mysql2 \
  php-cli php-mysql php-laravel-framework; do
  have_pkg "$pkg" || need+=("$pkg")
done
# Node.js may come from elsewhere than Debian (its npm then comes with it).
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

if ((${#need[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install-deps: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install Rust (https://rustup.rs) and run again" >&2
  exit 1
fi
