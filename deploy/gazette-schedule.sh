#!/usr/bin/env bash
# Schedule gazette crawls on scrapyd (schedule.json), for cron or a systemd timer.
#
#   deploy/gazette-schedule.sh gov_cn gd_gkmlpt "site start_url=https://www.example.gov.cn/zwgk/"
#
# Each argument is "SPIDER [name=value ...]": spider arguments, plus
# "setting=NAME=VALUE" for a Scrapy setting. Environment:
#   SCRAPYD_URL      default http://127.0.0.1:6800
#   SCRAPYD_PROJECT  default gazette
#   SCRAPYD_AUTH     user:password when scrapyd has auth
# Exits non-zero when scrapyd refuses a job (cron mails the output).
set -euo pipefail
url=${SCRAPYD_URL:-http://127.0.0.1:6800}
project=${SCRAPYD_PROJECT:-gazette}
auth=()
if [ -n "${SCRAPYD_AUTH:-}" ]; then auth=(--user "$SCRAPYD_AUTH"); fi
status=0
for job in "$@"; do
  read -r -a parts <<<"$job"
  args=(--data-urlencode "project=$project" --data-urlencode "spider=${parts[0]}")
  for kv in "${parts[@]:1}"; do args+=(--data-urlencode "$kv"); done
  reply=$(curl -sS --max-time 30 "${auth[@]}" "$url/schedule.json" "${args[@]}") || { echo "scrapyd unreachable at $url" >&2; exit 2; }
  echo "$(date -Is) ${parts[0]}: $reply"
  case "$reply" in *'"status": "ok"'*|*'"status":"ok"'*) ;; *) status=1 ;; esac
done
exit $status
