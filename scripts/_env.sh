# Shared settings for scripts/*: sourced, not run.
# Everything that is not the repository lives under SWS_HOME (outside the repo, so a fresh
# clone of main finds the same Odoo): the virtualenv, the Odoo source when it was downloaded,
# odoo.conf and the server's logs.
SWS_HOME=${SWS_HOME:-/opt/shopify-webhook-sync}
SWS_VENV=$SWS_HOME/venv
SWS_CONF=$SWS_HOME/odoo.conf
SWS_DB=${SWS_DB:-shopify}
SWS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_BIN=$SWS_VENV/bin/odoo
PY=$SWS_VENV/bin/python

die() { echo "ERROR: $*" >&2; exit 1; }

# Start the local PostgreSQL cluster if it is not running and make sure the current
# user has a superuser role (Odoo refuses to run as the 'postgres' user).
start_postgres() {
    if ! command -v pg_lsclusters >/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql libpq-dev >/dev/null
        else
            die "PostgreSQL is not installed. Install the 'postgresql' package (server) and re-run scripts/setup."
        fi
    fi
    local ver name
    read -r ver name _ < <(pg_lsclusters --no-header | head -n1)
    [ -n "$ver" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty); create one with pg_createcluster"
    pg_lsclusters --no-header | awk '{print $4}' | head -n1 | grep -q online || pg_ctlcluster "$ver" "$name" start
    local me; me=$(id -un)
    if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        su postgres -c "psql -tAc \"select 1 from pg_roles where rolname='$me'\"" | grep -q 1 \
            || su postgres -c "createuser --superuser '$me'"
    fi
}

# A TCP port nobody listens on now (several test runs may share this machine), below the
# kernel's ephemeral range, which outgoing connections draw their local ports from.
free_port() {
    python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
while True:
    port = random.randrange(10000, low)
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

odoo_installed() {
    [ -x "$PY" ] && "$PY" -c 'import odoo.release as r, odoo.addons.queue_job, sys; sys.exit(r.version_info[0] != 18)' 2>/dev/null
}

# write_conf FILE DB PORT [GEVENT_PORT]: an odoo.conf for this repo. Multi-process server (workers) with the
# queue_job runner loaded server-wide. Job channels take at most 2 of the 4 HTTP workers, so
# webhook deliveries always find a free worker (Shopify gives up after 5 s). db_name without
# dbfilter: Odoo serves that database without listing the server's databases on every
# request that has no session cookie, which is every Shopify delivery.
write_conf() {
    local file=$1 db=$2 port=$3 gevent_port=${4:-$(($3 + 3))}
    mkdir -p "$(dirname "$file")"
    cat > "$file" <<CONF
[options]
addons_path = $SWS_REPO
data_dir = $SWS_HOME/data
db_name = $db
list_db = False
http_interface = 127.0.0.1
http_port = $port
gevent_port = $gevent_port
workers = 4
max_cron_threads = 1
limit_time_cpu = 120
limit_time_real = 180
server_wide_modules = base,web,queue_job,shopify_webhook_sync
without_demo = all

[queue_job]
channels = root:2,root.shopify:2
CONF
}

# fresh_db DB CONF [MODULES]: a new database with shopify_webhook_sync (and MODULES) installed.
# The dependencies (sale_stock, queue_job, ...) are installed once into a template database
# keyed by what would change them; the addon itself is installed fresh every time.
fresh_db() {
    local db=$1 conf=$2 modules=${3:-shopify_webhook_sync} key template depends
    key=$("$PY" - "$SWS_REPO" <<'PY'
import ast, hashlib, sys, pathlib, odoo.release, odoo.addons.queue_job as qj
manifest = ast.literal_eval(pathlib.Path(sys.argv[1], "shopify_webhook_sync", "__manifest__.py").read_text())
qj_manifest = ast.literal_eval(pathlib.Path(qj.__path__[0], "__manifest__.py").read_text())
key = (manifest["depends"], odoo.release.version, qj_manifest["version"])
print(hashlib.sha1(repr(key).encode()).hexdigest()[:10])
PY
)
    template=sws_template_$key
    depends=$("$PY" -c "import ast,sys; print(','.join(ast.literal_eval(open(sys.argv[1]).read())['depends']))" \
        "$SWS_REPO/shopify_webhook_sync/__manifest__.py")
    # One build of a template at a time, and one copy of it at a time (PostgreSQL copies a
    # template nobody else is connected to): concurrent test runs wait, then share it.
    exec {lock}>"$SWS_HOME/template.lock"
    flock "$lock"
    if ! psql -d postgres -tAc "select 1 from pg_database where datname='$template'" | grep -q 1; then
        echo "== building template database $template ($depends)"
        "$ODOO_BIN" -c "$conf" -d "$template" -i "$depends" --without-demo=all \
            --stop-after-init --no-http --log-level=warn \
            || { dropdb --if-exists "$template"; die "installing $depends into $template failed"; }
    fi
    echo "== installing $modules into a fresh database $db"
    dropdb --if-exists "$db" 2>/dev/null
    createdb -T "$template" "$db"  # a copy needs the template to itself: still locked
    flock -u "$lock"
    "$ODOO_BIN" -c "$conf" -d "$db" -i "$modules" --stop-after-init --no-http --log-level=warn \
        || die "installing $modules into $db failed"
}
