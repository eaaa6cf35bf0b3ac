#!/bin/sh
# entrypoint.sh is the router image's ENTRYPOINT: it renders nginx.conf from the environment (render.sh, which
# stops the container when a variable is invalid), then runs nginx in the foreground until the task stops.
#
# It does not exec nginx, because nginx reads SIGTERM as "fast shutdown": in-flight requests are cut off. Only
# SIGQUIT is graceful. The image declares STOPSIGNAL SIGQUIT, but ECS documents SIGTERM as the signal it sends and
# the task definition has no stop signal to set, so this shell stays as nginx's parent and passes SIGTERM, SIGINT
# and SIGQUIT on to nginx as SIGQUIT. nginx
# then stops accepting, finishes in-flight requests within worker_shutdown_timeout (below the task's stopTimeout)
# and exits; this script exits with nginx's status.
#
# With arguments, it renders the config and then runs them instead of nginx, e.g. to print the rendered config:
#   docker run --rm -e STABLE_UPSTREAM=api:8080 fastscaler-router cat /tmp/nginx/nginx.conf
set -eu

"$(dirname "$0")/render.sh"

if [ "$#" -gt 0 ]; then
	exec "$@"
fi

nginx_pid=
stop_requested=false
interrupted=false
stop() {
	stop_requested=true
	interrupted=true
	if [ -n "$nginx_pid" ]; then
		kill -QUIT "$nginx_pid" 2>/dev/null || :
	fi
}
# The trap is set before nginx starts, so a stop signal arriving during start-up is not lost.
trap stop TERM INT QUIT

conf=${ROUTER_RUNTIME_DIR:-/tmp/nginx}/nginx.conf
# -e stderr: errors from before the config is read go to stderr too, not to the compiled-in log path.
nginx -c "$conf" -e stderr -g 'daemon off;' &
nginx_pid=$!
if [ "$stop_requested" = true ]; then
	stop
fi

# wait also returns, with a status above 128, when a trapped signal arrives. Then wait again: it blocks until nginx
# exits or, when nginx has exited meanwhile, returns the status the shell kept for it. The script exits with
# nginx's own status: 0 after a graceful stop.
while :; do
	interrupted=false
	status=0
	wait "$nginx_pid" || status=$?
	if [ "$interrupted" = false ] || [ "$status" -le 128 ]; then
		break
	fi
done
exit "$status"
