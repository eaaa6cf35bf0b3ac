#!/bin/sh
# render.sh validates the router's environment and renders nginx.conf from nginx.conf.template beside it.
#
# entrypoint.sh runs it at every container start, before nginx. When any variable is invalid it exits 1 after
# listing every problem, not just the first, and the container stops before nginx starts: a bad CANARY_WEIGHT never
# turns into a silent default. The Go tests in this directory run this very script (and entrypoint.sh), so what
# they prove is what the image does. Variables and defaults: docker/README.md.
#
# Everything it and nginx write goes to ROUTER_RUNTIME_DIR (default /tmp/nginx; created if missing): the rendered
# nginx.conf, the pid file, the temp directories. So the router runs as a non-root user, and with a read-only root
# filesystem when /tmp is a volume. The tests point ROUTER_RUNTIME_DIR at a temp directory.
#
# Much of what this script writes is nginx configuration text: the $variables and quotes in it are for nginx.
# shellcheck disable=SC2016,SC2089,SC2090
set -eu

ME=fastscaler-router
NL='
'
TEMPLATE=$(dirname "$0")/nginx.conf.template
ROUTER_RUNTIME_DIR=${ROUTER_RUNTIME_DIR:-/tmp/nginx}
OUTPUT=$ROUTER_RUNTIME_DIR/nginx.conf

errors=0

# err records one invalid setting; the script carries on so that every problem is reported at once.
err() {
	printf '%s: error: %s\n' "$ME" "$*" >&2
	errors=$((errors + 1))
}

# info goes to stderr: stdout carries the JSON access log, which log pipelines parse line by line.
info() {
	printf '%s: %s\n' "$ME" "$*" >&2
}

# matches VALUE ERE succeeds when the whole of VALUE, a single line, matches the extended regular expression ERE.
# The single-line check matters: grep matches line by line, so "10<newline>junk" would otherwise pass.
matches() {
	case $1 in *"$NL"*) return 1 ;; esac
	printf '%s\n' "$1" | grep -Eq -- "$2"
}

# is_uint succeeds for one to nine decimal digits. Pure shell, like to_num: each external command costs a
# process, and this script should not slow the container's start.
is_uint() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ ${#1} -le 9 ]
}

# to_num sets _n to a string of digits without its leading zeros, so that sh arithmetic does not read "010" as
# octal.
to_num() {
	_n=$1
	while :; do
		case $_n in 0?*) _n=${_n#0} ;; *) break ;; esac
	done
}

# check_int NAME MIN MAX validates the integer variable NAME (already defaulted) within [MIN, MAX].
check_int() {
	eval "_v=\${$1}"
	# shellcheck disable=SC2154 # _v is assigned by the eval above
	if is_uint "$_v"; then
		to_num "$_v"
		if [ "$_n" -ge "$2" ] && [ "$_n" -le "$3" ]; then
			eval "$1=\$_n"
			return 0
		fi
	fi
	err "$1=\"$_v\" is invalid: want a whole number from $2 to $3"
}

# check_time NAME validates an nginx time value such as 500ms, 5s, 1m.
check_time() {
	eval "_v=\${$1}"
	matches "$_v" '^[0-9]{1,6}(ms|s|m|h)?$' ||
		err "$1=\"$_v\" is invalid: want an nginx time such as 500ms, 5s or 1m"
}

# check_size NAME validates an nginx size value such as 512k or 10m.
check_size() {
	eval "_v=\${$1}"
	matches "$_v" '^[0-9]{1,9}[kKmMgG]?$' ||
		err "$1=\"$_v\" is invalid: want an nginx size such as 512k, 10m or 1g"
}

# words prints a comma- and/or blank-separated list as blank-separated words. Callers run `set -f` around the loop
# that splits it, so that an entry like "*" is not expanded as a file name pattern.
words() {
	printf '%s' "$1" | tr ',\t\n' '   '
}

# is_host_port succeeds for host:port with a DNS name, an IPv4 address or a bracketed IPv6 address.
is_host_port() {
	matches "$1" '^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$' || return 1
	to_num "${1##*:}"
	[ "$_n" -ge 1 ] && [ "$_n" -le 65535 ]
}

# is_cidr succeeds for an IPv4 or IPv6 address, with or without a /prefix length. nginx -t does the exact check;
# this one exists to name the variable and to keep anything but an address out of the rendered config.
is_cidr() {
	if matches "$1" '^[0-9]{1,3}(\.[0-9]{1,3}){3}(/[0-9]{1,2})?$'; then
		_addr=${1%/*}
		_old_ifs=$IFS
		IFS=.
		# shellcheck disable=SC2086 # splitting the address on dots is the point
		set -- $_addr "${1#"$_addr"}"
		IFS=$_old_ifs
		for _o in "$1" "$2" "$3" "$4"; do
			to_num "$_o"
			[ "$_n" -le 255 ] || return 1
		done
		[ -z "$5" ] || { to_num "${5#/}" && [ "$_n" -le 32 ]; }
		return
	fi
	matches "$1" '^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?$' || return 1
	case $1 in */*) to_num "${1##*/}" && [ "$_n" -le 128 ] ;; esac
}

# keep_valid NAME LIST WANT BEFORE AFTER CHECK [ARG] sets _kept to BEFORE, the word and AFTER for every word of LIST
# (see words) that `CHECK word ARG` accepts, one after the other, and reports every other word as an invalid entry of
# variable NAME (want WANT). File name expansion is off meanwhile, so that an entry like "*" stays as it is. It runs in
# the main shell, not in $(...), so that the error count it updates is not lost in a subshell.
keep_valid() {
	_kept=
	set -f
	for _w in $(words "$2"); do
		if "$6" "$_w" "${7-}"; then
			_kept="$_kept$4$_w$5"
		else
			err "$1 entry \"$_w\" is invalid: want $3"
		fi
	done
	set +f
}

# --- ports, addresses, worker settings ------------------------------------------------------------------------------

: "${LISTEN_PORT:=8080}" "${STATUS_PORT:=8081}" "${STATUS_PATH:=/nginx_status}"
: "${STATUS_ALLOW_CIDRS:=127.0.0.1/32 ::1/128}" "${LISTEN_ADDRESS:=}" "${LISTEN_IPV6:=auto}"
: "${WORKER_PROCESSES:=auto}" "${WORKER_CONNECTIONS:=4096}" "${WORKER_SHUTDOWN_TIMEOUT:=25s}"
: "${UPSTREAM_KEEPALIVE:=32}" "${UPSTREAM_KEEPALIVE_TIMEOUT:=60s}"
: "${PROXY_CONNECT_TIMEOUT:=5s}" "${PROXY_READ_TIMEOUT:=60s}" "${CLIENT_MAX_BODY_SIZE:=10m}"
: "${FORWARDED_PROTO:=}" "${ERROR_LOG_LEVEL:=warn}"

check_int LISTEN_PORT 1 65535
check_int STATUS_PORT 1 65535
if [ "$LISTEN_PORT" = "$STATUS_PORT" ]; then
	err "STATUS_PORT=\"$STATUS_PORT\" is invalid: it must differ from LISTEN_PORT, or stub_status would share the public port"
fi
matches "$STATUS_PATH" '^/[A-Za-z0-9._~/-]*$' ||
	err "STATUS_PATH=\"$STATUS_PATH\" is invalid: want a path such as /nginx_status (letters, digits, . _ ~ - /)"
if [ "$STATUS_PATH" = /healthz ]; then
	err "STATUS_PATH=\"$STATUS_PATH\" is invalid: /healthz is reserved for the load balancer's health check"
fi
check_int WORKER_CONNECTIONS 64 1000000
check_time WORKER_SHUTDOWN_TIMEOUT
check_int UPSTREAM_KEEPALIVE 1 10000
check_time UPSTREAM_KEEPALIVE_TIMEOUT
check_time PROXY_CONNECT_TIMEOUT
check_time PROXY_READ_TIMEOUT
check_size CLIENT_MAX_BODY_SIZE
case $FORWARDED_PROTO in
'' | http | https) ;;
*) err "FORWARDED_PROTO=\"$FORWARDED_PROTO\" is invalid: want http, https or empty (header not sent)" ;;
esac
case $ERROR_LOG_LEVEL in
debug | info | notice | warn | error | crit | alert | emerg) ;;
*) err "ERROR_LOG_LEVEL=\"$ERROR_LOG_LEVEL\" is invalid: want debug, info, notice, warn, error, crit, alert or emerg" ;;
esac
matches "$ROUTER_RUNTIME_DIR" '^/[A-Za-z0-9._/-]*$' ||
	err "ROUTER_RUNTIME_DIR=\"$ROUTER_RUNTIME_DIR\" is invalid: want an absolute path (letters, digits, . _ - /)"

# worker_processes: nginx's own "auto" counts the CPUs of the host, but a 0.25-1 vCPU Fargate task may see more
# CPUs than its CPU quota. More workers than the quota only adds context switches, so auto means
# min(online CPUs, ceil(cgroup CPU quota)).
cpu_quota() {
	if [ -r /sys/fs/cgroup/cpu.max ]; then # cgroup v2: "max 100000" or "25000 100000"
		read -r _q _p </sys/fs/cgroup/cpu.max || return 0
	elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] && [ -r /sys/fs/cgroup/cpu/cpu.cfs_period_us ]; then # v1
		_q=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
		_p=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
	else
		return 0
	fi
	if is_uint "$_q" && is_uint "$_p" && [ "$_q" -gt 0 ] && [ "$_p" -gt 0 ]; then
		echo $(((_q + _p - 1) / _p))
	fi
}
if [ "$WORKER_PROCESSES" = auto ]; then
	online=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
	is_uint "$online" && [ "$online" -ge 1 ] || online=1
	quota=$(cpu_quota)
	GEN_WORKER_PROCESSES=$online
	if [ -n "$quota" ] && [ "$quota" -lt "$online" ]; then
		GEN_WORKER_PROCESSES=$quota
	fi
	info "worker_processes $GEN_WORKER_PROCESSES (auto: $online CPUs online, CPU quota ${quota:-none})"
else
	check_int WORKER_PROCESSES 1 256
	GEN_WORKER_PROCESSES=$WORKER_PROCESSES
fi
# Each proxied request holds two descriptors (client and upstream); the margin covers listeners and logs.
GEN_WORKER_RLIMIT_NOFILE=$((2 * ${WORKER_CONNECTIONS:-0} + 64))

# listen lines. With no LISTEN_ADDRESS the router listens on every IPv4 address and, when the kernel has IPv6
# (ECS dual-stack tasks are polled on their ipv6Address), on every IPv6 address too.
case $LISTEN_IPV6 in
auto) [ -e /proc/net/if_inet6 ] && ipv6=on || ipv6=off ;;
on | off) ipv6=$LISTEN_IPV6 ;;
*)
	err "LISTEN_IPV6=\"$LISTEN_IPV6\" is invalid: want auto, on or off"
	ipv6=off
	;;
esac
if [ -n "$LISTEN_ADDRESS" ]; then
	if ! matches "$LISTEN_ADDRESS" '^([0-9]{1,3}(\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\])$'; then
		err "LISTEN_ADDRESS=\"$LISTEN_ADDRESS\" is invalid: want one IPv4 address or a bracketed IPv6 one, e.g. [::1]"
	fi
	GEN_TRAFFIC_LISTEN="        listen $LISTEN_ADDRESS:$LISTEN_PORT default_server backlog=4096;"
	GEN_STATUS_LISTEN="        listen $LISTEN_ADDRESS:$STATUS_PORT default_server;"
else
	GEN_TRAFFIC_LISTEN="        listen $LISTEN_PORT default_server backlog=4096;"
	GEN_STATUS_LISTEN="        listen $STATUS_PORT default_server;"
	if [ "$ipv6" = on ]; then
		GEN_TRAFFIC_LISTEN="$GEN_TRAFFIC_LISTEN$NL        listen [::]:$LISTEN_PORT default_server backlog=4096;"
		GEN_STATUS_LISTEN="$GEN_STATUS_LISTEN$NL        listen [::]:$STATUS_PORT default_server;"
	fi
fi

# stub_status access list: every entry becomes an allow rule, followed in the template by deny all.
keep_valid STATUS_ALLOW_CIDRS "$STATUS_ALLOW_CIDRS" 'an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/16' \
	'            allow ' ";$NL" is_cidr
GEN_STATUS_ALLOW=$_kept
if [ -z "$GEN_STATUS_ALLOW" ]; then
	info "warning: STATUS_ALLOW_CIDRS is empty: stub_status answers 403 to everyone and the autoscaler cannot poll"
fi

# --- upstreams and canary split -------------------------------------------------------------------------------------

: "${STABLE_UPSTREAM:=}" "${CANARY_UPSTREAM:=}" "${CANARY_WEIGHT:=0}"
: "${CANARY_STICKY:=off}" "${CANARY_COOKIE_NAME:=fastscaler_canary}" "${CANARY_COOKIE_MAX_AGE:=86400}"
: "${CANARY_STICKY_HEADER:=}" "${ROUTES:=/=api}"

# add_upstream NAME SERVERS VARIABLE appends an upstream group with keepalive to GEN_UPSTREAMS, reporting any
# server of the list (taken from VARIABLE) that is not host:port. It runs in the main shell, not in $(...), so
# that the error count it updates is not lost in a subshell.
GEN_UPSTREAMS=
add_upstream() {
	keep_valid "$3" "$2" 'host:port, e.g. api:8080 (a Service Connect name) or 10.0.1.5:8080' '        server ' ";$NL" is_host_port
	# Idle connections kept open to the upstream by each worker: a surge then reuses them instead of paying a TCP
	# handshake per request. The idle timeout stays below Service Connect's (Envoy) idle timeout.
	GEN_UPSTREAMS="$GEN_UPSTREAMS${GEN_UPSTREAMS:+$NL}    upstream $1 {
$_kept        keepalive $UPSTREAM_KEEPALIVE;
        keepalive_timeout $UPSTREAM_KEEPALIVE_TIMEOUT;
    }"
}

if [ -z "$(words "$STABLE_UPSTREAM" | tr -d ' ')" ]; then
	err "STABLE_UPSTREAM is not set: want the stable API service as host:port, e.g. api:8080"
fi
add_upstream stable "$STABLE_UPSTREAM" STABLE_UPSTREAM
if [ -n "$(words "$CANARY_UPSTREAM" | tr -d ' ')" ]; then
	add_upstream canary "$CANARY_UPSTREAM" CANARY_UPSTREAM
fi

# CANARY_WEIGHT: percent of split requests sent to canary, 0-100 with at most one decimal. It is held in tenths of a
# percent so that the shell's integer arithmetic can compare it.
weight_tenths=
if matches "$CANARY_WEIGHT" '^[0-9]{1,3}(\.[0-9])?$'; then
	to_num "${CANARY_WEIGHT%.*}"
	case $CANARY_WEIGHT in
	*.*) weight_tenths=$((_n * 10 + ${CANARY_WEIGHT#*.})) ;;
	*) weight_tenths=$((_n * 10)) ;;
	esac
	if [ "$weight_tenths" -gt 1000 ]; then
		weight_tenths=
	fi
fi
if [ -z "$weight_tenths" ]; then
	err "CANARY_WEIGHT=\"$CANARY_WEIGHT\" is invalid: want the percent of requests sent to the canary, a number from 0 to 100 with at most one decimal place (e.g. 0, 10 or 12.5)"
	weight_tenths=0
elif [ "$weight_tenths" -gt 0 ] && [ -z "$(words "$CANARY_UPSTREAM" | tr -d ' ')" ]; then
	err "CANARY_UPSTREAM is not set but CANARY_WEIGHT=\"$CANARY_WEIGHT\" sends traffic to it: set CANARY_UPSTREAM (e.g. canary-api:8080) or CANARY_WEIGHT=0"
fi
weight_pct=$((weight_tenths / 10))
if [ $((weight_tenths % 10)) -ne 0 ]; then
	weight_pct=$weight_pct.$((weight_tenths % 10))
fi

# split_clients hashes a key into percent ranges, in the order listed. nginx rejects "0%" and needs no entry for the
# remainder beyond "*", so 0 and 100 are a single "*" line. Canary comes first: raising the weight moves keys from
# stable to canary only, so a sticky user already on the canary stays there.
case $weight_tenths in
0) split_entries="        * stable;" ;;
1000) split_entries="        * canary;" ;;
*) split_entries="        $weight_pct% canary;$NL        * stable;" ;;
esac

case $CANARY_STICKY in
off)
	split_key='$request_id'
	sticky_maps=
	sticky_desc="none: each request is assigned at random"
	;;
cookie)
	if ! matches "$CANARY_COOKIE_NAME" '^[A-Za-z0-9_]{1,64}$'; then
		err "CANARY_COOKIE_NAME=\"$CANARY_COOKIE_NAME\" is invalid: want 1-64 letters, digits or underscores"
	fi
	check_int CANARY_COOKIE_MAX_AGE 60 315360000
	# A client without the cookie is split on this request's $request_id, and the router hands that same value
	# back as the cookie, so the client's next requests hash to the same side.
	split_key='$canary_key'
	sticky_maps="    map \$cookie_$CANARY_COOKIE_NAME \$canary_key {
        \"\" \$request_id;
        default \$cookie_$CANARY_COOKIE_NAME;
    }
    # Only responses to split requests of clients without the cookie carry a Set-Cookie.
    map \"\$fsc_upstream:\$cookie_$CANARY_COOKIE_NAME\" \$canary_set_cookie {
        \"stable:\" \"$CANARY_COOKIE_NAME=\$request_id; Path=/; Max-Age=$CANARY_COOKIE_MAX_AGE; HttpOnly; SameSite=Lax\";
        \"canary:\" \"$CANARY_COOKIE_NAME=\$request_id; Path=/; Max-Age=$CANARY_COOKIE_MAX_AGE; HttpOnly; SameSite=Lax\";
        default \"\";
    }"
	sticky_desc="cookie $CANARY_COOKIE_NAME (issued by the router)"
	;;
header)
	if ! matches "$CANARY_STICKY_HEADER" '^[A-Za-z0-9-]{1,64}$'; then
		err "CANARY_STICKY_HEADER=\"$CANARY_STICKY_HEADER\" is invalid: CANARY_STICKY=header needs a request header name, e.g. X-User-Id"
	fi
	header_var=http_$(printf '%s' "$CANARY_STICKY_HEADER" | tr 'A-Z-' 'a-z_')
	split_key='$canary_key'
	sticky_maps="    map \$$header_var \$canary_key {
        \"\" \$request_id;
        default \$$header_var;
    }"
	sticky_desc="header $CANARY_STICKY_HEADER (requests without it are assigned at random)"
	;;
*)
	err "CANARY_STICKY=\"$CANARY_STICKY\" is invalid: want off, cookie or header"
	split_key='$request_id'
	sticky_maps=
	sticky_desc=
	;;
esac
GEN_CANARY="    # CANARY_WEIGHT=$weight_pct: percent of requests to the canary upstream; the rest go to stable.
    split_clients $split_key \$canary_upstream {
$split_entries
    }"
if [ -n "$sticky_maps" ]; then
	GEN_CANARY="$sticky_maps$NL$GEN_CANARY"
fi
GEN_STICKY=
if [ "$CANARY_STICKY" = cookie ]; then
	GEN_STICKY="        add_header Set-Cookie \$canary_set_cookie always;"
fi

# ROUTES: "PREFIX=TARGET" entries. TARGET "api" is the canary split between the stable and canary upstreams; a
# host:port is another service, proxied without a split. Prefixes are nginx prefix locations: the longest match wins,
# and the request URI is passed on unchanged. Requests matching no prefix get 404 from the router.
#
# A prefix ending in / also takes the same path without the slash (/api/ takes /api): left to itself, nginx answers
# that path with a 301 to the slashed one, which API clients do not expect and which turns a POST into a GET.

# add_location MATCH PATH UPSTREAM appends a location proxying to UPSTREAM: "$canary_upstream" for the split, or an
# upstream group name.
add_location() {
	GEN_LOCATIONS="$GEN_LOCATIONS
        location $1$2 {
            set \$fsc_upstream $3;
            proxy_pass http://\$fsc_upstream;
        }"
}

GEN_LOCATIONS=
seen_prefixes=' '
seen_groups=' '
bare_paths= # "path upstream" lines for the slashless twins of slash-ended prefixes
set -f
for route in $(words "$ROUTES"); do
	prefix=${route%%=*}
	target=${route#*=}
	if [ "$prefix" = "$route" ] || [ -z "$target" ]; then
		err "ROUTES entry \"$route\" is invalid: want PREFIX=TARGET, e.g. /api/=api or /auth/=auth:8080"
		continue
	fi
	if ! matches "$prefix" '^/[A-Za-z0-9._~%/-]*$'; then
		err "ROUTES entry \"$route\" is invalid: the prefix must start with / (letters, digits, . _ ~ % - /)"
		continue
	fi
	case $prefix in /healthz | /healthz/*)
		err "ROUTES entry \"$route\" is invalid: /healthz is reserved for the load balancer's health check"
		continue
		;;
	esac
	case $seen_prefixes in *" $prefix "*)
		err "ROUTES entry \"$route\" is invalid: prefix $prefix is listed twice"
		continue
		;;
	esac
	seen_prefixes="$seen_prefixes$prefix "
	if [ "$target" = api ]; then
		upstream='$canary_upstream'
	elif is_host_port "$target"; then
		upstream=svc_$(printf '%s' "$target" | tr -c 'A-Za-z0-9' '_')
		case $seen_groups in *" $upstream "*) ;; *)
			seen_groups="$seen_groups$upstream "
			add_upstream "$upstream" "$target" ROUTES
			;;
		esac
	else
		err "ROUTES entry \"$route\" is invalid: the target must be api (the stable/canary split) or host:port"
		continue
	fi
	add_location '' "$prefix" "$upstream"
	case $prefix in
	/) ;;
	*/) bare_paths="$bare_paths${prefix%/} $upstream$NL" ;;
	esac
done
set +f
# The slashless twin is added unless ROUTES lists that path as a prefix of its own.
while read -r path upstream; do
	[ -n "$path" ] || continue
	case $seen_prefixes in *" $path "*) continue ;; esac
	add_location '= ' "$path" "$upstream"
done <<EOF
$bare_paths
EOF
case $seen_prefixes in *" / "*) ;; *)
	GEN_LOCATIONS="$GEN_LOCATIONS
        location / {
            default_type application/json;
            return 404 '{\"error\":\"no route for this path\"}\n';
        }"
	;;
esac
if [ "$seen_prefixes" = ' ' ]; then
	err "ROUTES=\"$ROUTES\" is invalid: want at least one PREFIX=TARGET entry, e.g. /=api"
fi

# --- CORS -----------------------------------------------------------------------------------------------------------

: "${CORS_ALLOWED_ORIGINS:=}" "${CORS_ALLOWED_METHODS:=GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS}"
: "${CORS_ALLOWED_HEADERS:=Authorization, Content-Type}" "${CORS_EXPOSE_HEADERS:=}"
: "${CORS_ALLOW_CREDENTIALS:=false}" "${CORS_MAX_AGE:=600}"

# join_tokens NAME ERE DESCRIPTION OUT sets variable OUT to the list in variable NAME written as "a, b, c",
# reporting each entry that does not match ERE. Like add_upstream, it must not run in a subshell.
join_tokens() {
	eval "_v=\${$1}"
	keep_valid "$1" "$_v" "$3" '' ', ' matches "$2"
	_kept=${_kept%, }
	eval "$4=\$_kept"
}

GEN_CORS_MAPS=
GEN_CORS=
if [ -n "$(words "$CORS_ALLOWED_ORIGINS" | tr -d ' ')" ]; then
	case $CORS_ALLOW_CREDENTIALS in
	true | false) ;;
	*) err "CORS_ALLOW_CREDENTIALS=\"$CORS_ALLOW_CREDENTIALS\" is invalid: want true or false" ;;
	esac
	check_int CORS_MAX_AGE 0 86400
	credentials=
	[ "$CORS_ALLOW_CREDENTIALS" != true ] || credentials=true
	methods='' allow_headers='' expose_headers=''
	join_tokens CORS_ALLOWED_METHODS '^[A-Za-z]{1,20}$' 'an HTTP method such as GET' methods
	join_tokens CORS_ALLOWED_HEADERS '^([A-Za-z0-9-]{1,64}|\*)$' 'a header name such as Content-Type' allow_headers
	join_tokens CORS_EXPOSE_HEADERS '^[A-Za-z0-9-]{1,64}$' 'a header name such as X-Request-Id' expose_headers

	origin_entries=
	any_origin=false
	set -f
	for origin in $(words "$CORS_ALLOWED_ORIGINS"); do
		if [ "$origin" = '*' ]; then
			any_origin=true
		elif matches "$origin" '^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$'; then
			origin_entries="$origin_entries        \"$origin\" \$http_origin;$NL"
		elif matches "$origin" '^https?://\*\.[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$'; then
			# https://*.example.com: any subdomain, at any depth, of example.com (not example.com itself).
			scheme=${origin%%://*}
			rest=$(printf '%s' "${origin#*://\*.}" | sed 's/\./\\./g')
			origin_entries="$origin_entries        \"~*^$scheme://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.$rest\$\" \$http_origin;$NL"
		else
			err "CORS_ALLOWED_ORIGINS entry \"$origin\" is invalid: want scheme://host[:port] such as https://example.com, https://*.example.com or *"
		fi
	done
	set +f
	if [ "$any_origin" = true ]; then
		if [ "$CORS_ALLOW_CREDENTIALS" = true ]; then
			err "CORS_ALLOWED_ORIGINS=\"*\" with CORS_ALLOW_CREDENTIALS=true is refused: any web site could read your users' credentialed responses; list the origins instead"
		fi
		origin_entries="        \"\" \"\";$NL        default \"*\";$NL"
	else
		origin_entries="        default \"\";$NL$origin_entries"
	fi

	GEN_CORS_MAPS="    # CORS (CORS_ALLOWED_ORIGINS): the Access-Control-Allow-Origin value for this request's Origin; empty when
    # the origin is not allowed, and then no CORS header is sent.
    map \$http_origin \$cors_allow_origin {
$origin_entries    }
    map \"\$request_method:\$http_access_control_request_method\" \$cors_is_preflight {
        \"~^OPTIONS:.\" 1;
        default \"\";
    }
    map \"\$cors_is_preflight:\$cors_allow_origin\" \$cors_preflight {
        \"1:\" deny;
        \"~^1:.\" allow;
        default \"\";
    }
    map \$cors_preflight \$cors_allow_methods {
        allow \"$methods\";
        default \"\";
    }
    map \$cors_preflight \$cors_allow_headers {
        allow \"$allow_headers\";
        default \"\";
    }
    map \$cors_preflight \$cors_max_age {
        allow \"$CORS_MAX_AGE\";
        default \"\";
    }
    map \$cors_allow_origin \$cors_allow_credentials {
        \"\" \"\";
        default \"$credentials\";
    }
    map \$cors_allow_origin \$cors_expose_headers {
        \"\" \"\";
        default \"$expose_headers\";
    }"

	GEN_CORS="        # CORS is answered by the router alone: the API's own CORS headers are hidden so a browser never gets two.
        proxy_hide_header Access-Control-Allow-Origin;
        proxy_hide_header Access-Control-Allow-Credentials;
        proxy_hide_header Access-Control-Allow-Methods;
        proxy_hide_header Access-Control-Allow-Headers;
        proxy_hide_header Access-Control-Expose-Headers;
        proxy_hide_header Access-Control-Max-Age;
        # Responses differ by Origin, so caches must key on it. 'always' covers error responses too: a browser lets
        # the page read an error only when it carries the CORS headers.
        add_header Vary Origin always;
        add_header Access-Control-Allow-Origin \$cors_allow_origin always;
        add_header Access-Control-Allow-Credentials \$cors_allow_credentials always;
        add_header Access-Control-Expose-Headers \$cors_expose_headers always;
        add_header Access-Control-Allow-Methods \$cors_allow_methods always;
        add_header Access-Control-Allow-Headers \$cors_allow_headers always;
        add_header Access-Control-Max-Age \$cors_max_age always;
        # Preflights never reach the API: 204 with the allow headers for an allowed origin, 403 otherwise.
        if (\$cors_preflight = allow) {
            return 204;
        }
        if (\$cors_preflight = deny) {
            return 403;
        }"
fi

# --- render ---------------------------------------------------------------------------------------------------------

if [ "$errors" -gt 0 ]; then
	printf '%s: %d invalid setting(s); not starting nginx. The variables are described in docker/README.md.\n' \
		"$ME" "$errors" >&2
	exit 1
fi

if [ ! -r "$TEMPLATE" ]; then
	printf '%s: error: cannot read the template %s\n' "$ME" "$TEMPLATE" >&2
	exit 1
fi
if ! mkdir -p "$ROUTER_RUNTIME_DIR"; then
	printf '%s: error: cannot create ROUTER_RUNTIME_DIR=%s for the pid file and temp files\n' "$ME" "$ROUTER_RUNTIME_DIR" >&2
	exit 1
fi

# Only these variables are substituted: nginx's own $variables (lower case, no braces) pass through untouched, and
# so does any ${...} the list does not name, which the check below then reports.
SUBST_VARS='${LISTEN_PORT} ${STATUS_PORT} ${STATUS_PATH} ${WORKER_CONNECTIONS} ${WORKER_SHUTDOWN_TIMEOUT}
${PROXY_CONNECT_TIMEOUT} ${PROXY_READ_TIMEOUT} ${CLIENT_MAX_BODY_SIZE} ${FORWARDED_PROTO} ${ERROR_LOG_LEVEL}
${ROUTER_RUNTIME_DIR} ${GEN_WORKER_PROCESSES} ${GEN_WORKER_RLIMIT_NOFILE} ${GEN_TRAFFIC_LISTEN} ${GEN_STATUS_LISTEN}
${GEN_STATUS_ALLOW} ${GEN_UPSTREAMS} ${GEN_CANARY} ${GEN_STICKY} ${GEN_LOCATIONS} ${GEN_CORS_MAPS} ${GEN_CORS}'
export LISTEN_PORT STATUS_PORT STATUS_PATH WORKER_CONNECTIONS WORKER_SHUTDOWN_TIMEOUT PROXY_CONNECT_TIMEOUT \
	PROXY_READ_TIMEOUT CLIENT_MAX_BODY_SIZE FORWARDED_PROTO ERROR_LOG_LEVEL ROUTER_RUNTIME_DIR GEN_WORKER_PROCESSES \
	GEN_WORKER_RLIMIT_NOFILE GEN_TRAFFIC_LISTEN GEN_STATUS_LISTEN GEN_STATUS_ALLOW GEN_UPSTREAMS GEN_CANARY GEN_STICKY \
	GEN_LOCATIONS GEN_CORS_MAPS GEN_CORS

# Render next to the target and rename, so a failed render never leaves a half-written nginx.conf behind.
tmp="$OUTPUT.tmp.$$"
if ! envsubst "$SUBST_VARS" <"$TEMPLATE" >"$tmp"; then
	rm -f "$tmp"
	printf '%s: error: rendering %s into %s failed\n' "$ME" "$TEMPLATE" "$tmp" >&2
	exit 1
fi
if leftover=$(grep -Eo '\$\{[A-Z][A-Z0-9_]*\}' "$tmp" | sort -u | tr '\n' ' ') && [ -n "$leftover" ]; then
	rm -f "$tmp"
	printf '%s: error: %s uses variables this script does not set: %s\n' "$ME" "$TEMPLATE" "$leftover" >&2
	exit 1
fi
mv -f "$tmp" "$OUTPUT"

canary_desc=
if [ -n "$(words "$CANARY_UPSTREAM" | tr -d ' ')" ]; then
	canary_desc=" ($(words "$CANARY_UPSTREAM" | tr -s ' ' | sed 's/^ //;s/ $//'))"
fi
info "wrote $OUTPUT: traffic port $LISTEN_PORT, stub_status on port $STATUS_PORT at $STATUS_PATH"
info "canary split: $weight_pct% to canary$canary_desc, the rest to stable ($(words "$STABLE_UPSTREAM" | tr -s ' ' | sed 's/^ //;s/ $//')); sticky: $sticky_desc"
