#!/bin/sh
# Apache in the foreground, as Debian's apache2ctl would start it.
set -e
. /etc/apache2/envvars
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
exec /usr/sbin/apache2 -D FOREGROUND
