#!/bin/sh
# Starts Redis with one ACL user per shegong service and the default user off: nobody
# connects without a user name and that user's password.
#
#   REDIS_USERS="registry training matching"   the users (default: these three)
#   REDIS_PASSWORD_REGISTRY=…                   one password per user (NAME in capitals,
#   REDIS_PASSWORD_TRAINING=…                   '-' as '_'); no spaces; e.g.
#   REDIS_PASSWORD_MATCHING=…                   `openssl rand -hex 32`
#
# Each service's REDIS_URL names its own user: redis://registry:<password>@redis:6379/0.
# A user may use streams, hashes and keys, but no administrative or dangerous command
# (CONFIG, FLUSHALL, KEYS, SHUTDOWN, ACL, DEBUG …). The user `console` (the web console,
# which keeps only its ended sessions in Redis) may only read and write those keys:
# no stream, no other key. The users file is written to a
# private temporary file (REDIS_ACL_FILE) and never to the data volume. Arguments are
# passed on to redis-server.
set -eu
umask 077
acl="${REDIS_ACL_FILE:-/tmp/shegong-users.acl}"
echo "user default off resetkeys resetchannels -@all" > "$acl"
for user in ${REDIS_USERS:-registry training matching}; do
  var="REDIS_PASSWORD_$(echo "$user" | tr 'a-z-' 'A-Z_')"
  secret=$(printenv "$var" || true)
  if [ -z "$secret" ]; then
    echo "redis: set $var (the Redis password of user $user)" >&2
    exit 1
  fi
  case "$secret" in
    *[[:space:]]*)
      echo "redis: $var holds white space" >&2
      exit 1
      ;;
  esac
  case "$user" in
    console)
      rights="~*console:ended-session:* resetchannels -@all +ping +hello +auth +set +exists"
      ;;
    *)
      rights="~* &* +@all -@admin -@dangerous"
      ;;
  esac
  echo "user $user on >$secret $rights" >> "$acl"
done
exec redis-server --aclfile "$acl" "$@"
