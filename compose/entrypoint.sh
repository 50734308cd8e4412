#!/bin/sh
# Container entry point: "-Dkey=value" arguments become JVM system properties (keymesh config
# overrides), one other argument is a config file; keymesh runs in the foreground as PID 1's exec.
set -eu
props=""
config=""
for arg in "$@"; do
  case "$arg" in
    -D*) props="$props
$arg" ;;
    *)
      if [ -n "$config" ]; then
        echo "keymesh container: more than one config file given ($config, $arg)" >&2
        exit 2
      fi
      config="$arg"
      ;;
  esac
done
# rebuild "$@" as: the -D properties, then the config file (if any)
set --
old_ifs=$IFS
IFS='
'
for p in $props; do
  set -- "$@" "$p"
done
IFS=$old_ifs
if [ -n "$config" ]; then
  # shellcheck disable=SC2086
  exec java ${KEYMESH_JAVA_OPTS:-} -XX:+UseParallelGC -Dkeymesh.data-dir=/data "$@" -jar /opt/keymesh/keymesh.jar start "$config"
fi
# shellcheck disable=SC2086
exec java ${KEYMESH_JAVA_OPTS:-} -XX:+UseParallelGC -Dkeymesh.data-dir=/data "$@" -jar /opt/keymesh/keymesh.jar start
