#!/usr/bin/env bash
# Deploy the bundle: one Cloud Run function (2nd gen) per entry point, the Cloud Tasks queue, the
# Eventarc GCS trigger, Firestore TTL policies, the uploads bucket lifecycle, and the Worker's route
# origins (worker/origins.json).
#
#   PROJECT=my-proj REGION=asia-east1 UPLOAD_BUCKET=my-uploads PUBLIC_BASE_URL=https://menu.example.com \
#   R2_ENDPOINT=https://<account>.r2.cloudflarestorage.com R2_ACCESS_KEY_ID=... ./deploy.sh [--dry-run]
#
# Secrets come from Secret Manager: r2-secret-access-key, gemini-api-key, origin-secret,
# webhook-secrets (whsec_ values, space-separated: add the new one first during a rotation, drop the
# old one once receivers have it), upload-name-secrets (keys that tag the names of uploads, so
# create-job takes only an upload the server signed; space-separated, the first names new uploads:
# rotate as webhook-secrets) and, with EXPO_SECURITY=on, expo-access-token (Expo's push
# security token) (latest versions). origin-secret is also the Worker's ORIGIN_SECRET (wrangler secret put ORIGIN_SECRET): the
# Worker sends it with every request, and only then do the functions believe its X-Client-IP.
# Rotating it without a 403: add a version to origin-secret, deploy with ORIGIN_SECRET_PREVIOUS_VERSION
# set to the version the Worker still sends (the functions take both), put the new value in the
# Worker (wrangler secret put ORIGIN_SECRET), then deploy again without ORIGIN_SECRET_PREVIOUS_VERSION.
# End-user sign-in (docs/security.md) is off unless USER_AUTH=optional|required is set here, with
# FIREBASE_PROJECT_ID, or AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL.
# --dry-run prints every command without running it, after checking each flag against the
# installed gcloud's own --help (the part of a deploy that can be checked offline). Without it, the
# configured Gemini models (GEMINI_MENU_MODEL, GEMINI_IMAGE_MODEL and their fallbacks, if set here)
# are checked with models.get first: a model the key cannot use stops the deploy.
set -euo pipefail
cd "$(dirname "$0")"

DRY_RUN=0
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1

: "${PROJECT:=${GOOGLE_CLOUD_PROJECT:-}}"
: "${REGION:=asia-east1}"
: "${RUNTIME:=python311}"
: "${UPLOAD_BUCKET:=}"
: "${PUBLIC_BASE_URL:=}"
: "${R2_ENDPOINT:=}"
: "${R2_ACCESS_KEY_ID:=}"
: "${R2_BUCKET:=menu-assets}"
: "${QUEUE:=scan-jobs}"
: "${NOTIFY_QUEUE:=scan-notify}"
: "${TTL_DAYS:=7}"   # every document's expire_at, and the generated images' lifetime in R2
: "${RUNTIME_SA:=menu-scan-runtime}"   # the functions run as this account
: "${INVOKER_SA:=menu-scan-invoker}"   # Cloud Tasks and Eventarc call run_scan as this account
: "${CORS_ORIGINS:=}"   # other web front ends that may call /api and upload photos (exact origins, space-separated)
if [ "$DRY_RUN" = 1 ]; then
  : "${PROJECT:=example-project}" "${UPLOAD_BUCKET:=example-uploads}" "${PUBLIC_BASE_URL:=https://menu.example.com}"
  : "${R2_ENDPOINT:=https://account.r2.cloudflarestorage.com}" "${R2_ACCESS_KEY_ID:=example-key-id}"
fi
for v in PROJECT UPLOAD_BUCKET PUBLIC_BASE_URL R2_ENDPOINT R2_ACCESS_KEY_ID; do
  [ -n "${!v}" ] || { echo "deploy.sh: set $v" >&2; exit 2; }
done
RUNTIME_EMAIL="$RUNTIME_SA@$PROJECT.iam.gserviceaccount.com"
INVOKER_EMAIL="$INVOKER_SA@$PROJECT.iam.gserviceaccount.com"
FN_BASE="https://$REGION-$PROJECT.cloudfunctions.net"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

# Check a command's flags against `gcloud <group...> --help` (offline), then run or print it. Each
# group's help is read once (a gcloud start costs seconds; functions deploy alone is used 8 times).
declare -A HELP_CACHE
run() {
  local group=() arg
  for arg in "$@"; do
    # Command groups are lower-case words with hyphens: a name (a_metric, a/path, a.file) ends them.
    case "$arg" in -*|*=*|*/*|*.*|*_*) break ;; esac
    group+=("$arg")
  done
  local key="${group[*]}" help
  if [ -z "${HELP_CACHE[$key]+set}" ]; then
    HELP_CACHE[$key]=$("${group[@]}" --help 2>/dev/null || true)
  fi
  help=${HELP_CACHE[$key]}
  for arg in "$@"; do
    case "$arg" in
      --*) local flag=${arg%%=*}
           if [ -n "$help" ] && ! grep -q -- "$flag" <<<"$help"; then
             echo "deploy.sh: '${group[*]}' has no flag $flag in this gcloud" >&2; exit 3
           fi ;;
    esac
  done
  if [ "$DRY_RUN" = 1 ]; then printf '%q ' "$@"; echo; else "$@"; fi
}

stage() {  # functions/NAME plus a copy of common/, as Cloud Build expects one source folder
  local dir="$STAGE/$1"
  mkdir -p "$dir"
  cp -r "functions/$1/." "$dir/"
  cp -r common "$dir/common"
  find "$dir" -name __pycache__ -prune -exec rm -rf {} +
  echo "$dir"
}

: "${USER_AUTH:=off}"
# Traces to Cloud Trace (docs/observability.md): the Worker samples new traces at its own
# TRACE_SAMPLE_RATIO (wrangler.toml); the functions follow the caller's decision, this ratio for the rest.
: "${TRACE_EXPORTER:=gcp}"
: "${TRACE_SAMPLE_RATIO:=0.1}"
COMMON_ENV="GOOGLE_CLOUD_PROJECT=$PROJECT,REGION=$REGION,UPLOAD_BUCKET=$UPLOAD_BUCKET,LOG_LEVEL=INFO,USER_AUTH=$USER_AUTH,TTL_DAYS=$TTL_DAYS"
COMMON_ENV="$COMMON_ENV,TRACE_EXPORTER=$TRACE_EXPORTER,TRACE_SAMPLE_RATIO=$TRACE_SAMPLE_RATIO"
# The largest photo: the functions check it, and the Worker bounds the compatibility stream's body by it.
: "${MAX_UPLOAD_BYTES:=10485760}"
COMMON_ENV="$COMMON_ENV,MAX_UPLOAD_BYTES=$MAX_UPLOAD_BYTES"
for v in FIREBASE_PROJECT_ID AUTH_ISSUER AUTH_AUDIENCE AUTH_JWKS_URL; do
  [ -n "${!v:-}" ] && COMMON_ENV="$COMMON_ENV,$v=${!v}"
done
NOTIFY_ENV="NOTIFY_QUEUE=$NOTIFY_QUEUE,NOTIFY_TASK_URL=$FN_BASE/notify"
# The engine, named: create-job holds no Gemini key, and refuses custom profiles on the offline engine.
: "${ENGINE:=gemini}"
SCAN_ENV="$COMMON_ENV,ENGINE=$ENGINE,TASKS_QUEUE=$QUEUE,TASKS_LOCATION=$REGION,RUN_SCAN_TASK_URL=$FN_BASE/run-scan-task,TASKS_SERVICE_ACCOUNT=$INVOKER_EMAIL,$NOTIFY_ENV"
# The Gemini models, when this deploy names them (else the defaults in common/config.py).
for v in GEMINI_MENU_MODEL GEMINI_MENU_FALLBACK_MODEL GEMINI_IMAGE_MODEL GEMINI_IMAGE_FALLBACK_MODEL; do
  [ -n "${!v+set}" ] && SCAN_ENV="$SCAN_ENV,$v=${!v}"
done
R2_ENV="R2_ENDPOINT=$R2_ENDPOINT,R2_ACCESS_KEY_ID=$R2_ACCESS_KEY_ID,R2_BUCKET=$R2_BUCKET,PUBLIC_BASE_URL=$PUBLIC_BASE_URL"
SECRETS="R2_SECRET_ACCESS_KEY=r2-secret-access-key:latest,GEMINI_API_KEY=gemini-api-key:latest"
ORIGIN="ORIGIN_SECRET=origin-secret:latest"
# During a rotation of origin-secret: the version the Worker still sends, taken too (see the top).
: "${ORIGIN_SECRET_PREVIOUS_VERSION:=}"
[ -n "$ORIGIN_SECRET_PREVIOUS_VERSION" ] && ORIGIN="$ORIGIN,ORIGIN_SECRET_PREVIOUS=origin-secret:$ORIGIN_SECRET_PREVIOUS_VERSION"
# signed-url tags the names of uploads with it, create-job takes no other name.
UPLOAD_NAMES="UPLOAD_NAME_SECRETS=upload-name-secrets:latest"
# The task target also checks the OIDC token Cloud Tasks sends: this audience, this account.
INTERNAL_ENV="INTERNAL_AUDIENCES=$FN_BASE/run-scan-task,INTERNAL_SERVICE_ACCOUNTS=$INVOKER_EMAIL"
# /api/v1 reads a v1 job by its id alone (the shipped app sends no token) until the fleet sends
# tokens: then deploy with V1_ID_ONLY_READS=false (docs/api-versions.md).
: "${V1_ID_ONLY_READS:=true}"
# Read limits are per instance (docs/security.md): the instance cap bounds what a flood of reads
# costs, and is also the capacity of open streams (1,000 an instance).
: "${EVENTS_MAX_INSTANCES:=100}"
# THREADS: on the compatibility stream (Flask) each open stream holds a thread. events is ASGI
# (an open stream is a coroutine), so it takes Cloud Run's maximum concurrency of 1,000.
STREAM_ENV="THREADS=250"

deploy_http() {  # name folder target public|private memory timeout env [extra flags...]
  local name=$1 folder=$2 target=$3 access=$4 memory=$5 timeout=$6 env=$7
  shift 7
  local auth=--no-allow-unauthenticated
  [ "$access" = public ] && auth=--allow-unauthenticated
  run gcloud functions deploy "$name" --gen2 --project="$PROJECT" --region="$REGION" --runtime="$RUNTIME" \
    --source="$(stage "$folder")" --entry-point="$target" --trigger-http "$auth" \
    --memory="$memory" --timeout="$timeout" --service-account="$RUNTIME_EMAIL" \
    --set-env-vars="$env" "$@"
}

PY=.venv/bin/python; [ -x "$PY" ] || PY=python3
# Before anything is deployed: every configured Gemini model exists for the deployment's key
# (models.get). A retired name would send every scan to its fallback model, or fail it.
if [ "$ENGINE" = gemini ]; then
  if [ "$DRY_RUN" = 1 ]; then
    echo "# would check that every configured Gemini model exists (models.get with the deployment's key):"
    echo "GEMINI_API_KEY=\$(gcloud secrets versions access latest --secret=gemini-api-key) $PY -m common.engines.model_check"
    "$PY" -m common.engines.model_check --list | sed 's/^/#   /'
  else
    GEMINI_API_KEY=$(gcloud secrets versions access latest --secret=gemini-api-key --project="$PROJECT") \
      "$PY" -m common.engines.model_check ||
      { echo "deploy.sh: a configured Gemini model is not served (above); nothing was deployed" >&2; exit 4; }
  fi
fi

queue_verb() {  # create a queue that does not exist yet, else update it
  if [ "$DRY_RUN" = 1 ] || ! gcloud tasks queues describe "$1" --project="$PROJECT" --location="$REGION" >/dev/null 2>&1; then
    echo create
  else
    echo update
  fi
}

# The queue: bounded retries with backoff; run_scan answers 503 while an upload is still arriving.
run gcloud tasks queues "$(queue_verb "$QUEUE")" "$QUEUE" --project="$PROJECT" --location="$REGION" \
  --max-attempts=30 --min-backoff=2s --max-backoff=60s --max-doublings=4 --max-retry-duration=1h \
  --max-dispatches-per-second=50 --max-concurrent-dispatches=200
# Notifications on their own queue and retry policy: Expo's 429s and 5xx back off from 5 s to 10 min
# for up to a day; 500 a second stays under Expo's 600 notifications a second per project (one per
# request). Webhook retries are tasks scheduled by the notify function on the specification's own
# schedule (common/notify/webhooks.py), not this policy's.
run gcloud tasks queues "$(queue_verb "$NOTIFY_QUEUE")" "$NOTIFY_QUEUE" --project="$PROJECT" --location="$REGION" \
  --max-attempts=100 --min-backoff=5s --max-backoff=600s --max-doublings=6 --max-retry-duration=24h \
  --max-dispatches-per-second=500 --max-concurrent-dispatches=500

# Public behind the Worker.
deploy_http signed-url signed_url signed_url public 256Mi 30s "$COMMON_ENV" --set-secrets="$ORIGIN,$UPLOAD_NAMES"
deploy_http create-job create_job create_job public 256Mi 30s "$SCAN_ENV" \
  --set-secrets="$ORIGIN,$UPLOAD_NAMES,WEBHOOK_SECRETS=webhook-secrets:latest"
deploy_http events events events public 512Mi 3600s "$COMMON_ENV,SSE_MAX_STREAM_S=3300,V1_ID_ONLY_READS=$V1_ID_ONLY_READS" \
  --concurrency=1000 --cpu=1 --max-instances="$EVENTS_MAX_INSTANCES" --set-secrets="$ORIGIN"
# Scan profiles (docs/profiles.md): a signed-in caller's own; they need end-user sign-in (USER_AUTH).
deploy_http profiles profiles profiles_api public 256Mi 30s "$COMMON_ENV" --set-secrets="$ORIGIN"
# The platform cuts a request at --timeout: each stream sends its `timeout` frame a minute before.
deploy_http scan-stream run_scan scan_stream public 1Gi 900s "$SCAN_ENV,$R2_ENV,$STREAM_ENV,SSE_MAX_STREAM_S=840" \
  --concurrency=80 --cpu=1 --set-secrets="$SECRETS,$ORIGIN"
# Private: only the invoker account (Cloud Tasks' OIDC token) may call it.
deploy_http run-scan-task run_scan run_scan_task private 1Gi 1800s "$SCAN_ENV,$R2_ENV,$INTERNAL_ENV" \
  --concurrency=8 --cpu=1 --set-secrets="$SECRETS"
run gcloud functions add-invoker-policy-binding run-scan-task --project="$PROJECT" --region="$REGION" \
  --member="serviceAccount:$INVOKER_EMAIL"

# Notifications: the notify queue's target (OIDC as the invoker account); the webhook signing secrets,
# and Expo's access token only when its enhanced security is on (EXPO_SECURITY=on): Secret Manager
# holds no empty secret, and a placeholder would be sent to Expo as a token it refuses.
NOTIFY_SECRETS="WEBHOOK_SECRETS=webhook-secrets:latest"
[ "${EXPO_SECURITY:-off}" = on ] && NOTIFY_SECRETS="$NOTIFY_SECRETS,EXPO_ACCESS_TOKEN=expo-access-token:latest"
deploy_http notify notify notify_task private 256Mi 120s \
  "$COMMON_ENV,$NOTIFY_ENV,TASKS_LOCATION=$REGION,TASKS_SERVICE_ACCOUNT=$INVOKER_EMAIL,PUBLIC_BASE_URL=$PUBLIC_BASE_URL,INTERNAL_AUDIENCES=$FN_BASE/notify,INTERNAL_SERVICE_ACCOUNTS=$INVOKER_EMAIL" \
  --concurrency=80 --set-secrets="$NOTIFY_SECRETS"
run gcloud functions add-invoker-policy-binding notify --project="$PROJECT" --region="$REGION" \
  --member="serviceAccount:$INVOKER_EMAIL"

# The watchdog: Cloud Scheduler calls it every minute (OIDC as the invoker account); it ends jobs
# that nothing runs any more with error + done(failed), so no viewer waits forever, finishes jobs
# past their deadline whose run died, and queues notifications a run could not.
# It holds no model or R2 secret: it never reads a menu nor draws.
deploy_http run-scan-watchdog run_scan run_scan_watchdog private 512Mi 300s \
  "$COMMON_ENV,$NOTIFY_ENV,TASKS_LOCATION=$REGION,TASKS_SERVICE_ACCOUNT=$INVOKER_EMAIL,INTERNAL_AUDIENCES=$FN_BASE/run-scan-watchdog,INTERNAL_SERVICE_ACCOUNTS=$INVOKER_EMAIL" \
  --concurrency=1 --max-instances=1 --clear-secrets
run gcloud functions add-invoker-policy-binding run-scan-watchdog --project="$PROJECT" --region="$REGION" \
  --member="serviceAccount:$INVOKER_EMAIL"
if [ "$DRY_RUN" = 1 ] || ! gcloud scheduler jobs describe scan-watchdog --project="$PROJECT" --location="$REGION" \
    >/dev/null 2>&1; then
  SCHEDULER_VERB=create
else
  SCHEDULER_VERB=update
fi
run gcloud scheduler jobs "$SCHEDULER_VERB" http scan-watchdog --project="$PROJECT" --location="$REGION" \
  --schedule="* * * * *" --uri="$FN_BASE/run-scan-watchdog" --http-method=POST \
  --oidc-service-account-email="$INVOKER_EMAIL" --oidc-token-audience="$FN_BASE/run-scan-watchdog" \
  --attempt-deadline=300s

# The finalize trigger (Eventarc), retried on failure; run_scan converges with the task on one run.
# Eventarc's token is for the service's own run.app URL, unknown until it exists: the function
# checks the token's account, not its audience.
run gcloud functions deploy run-scan-finalize --gen2 --project="$PROJECT" --region="$REGION" --runtime="$RUNTIME" \
  --source="$(stage run_scan)" --entry-point=run_scan_finalize \
  --trigger-event-filters="type=google.cloud.storage.object.v1.finalized" \
  --trigger-event-filters="bucket=$UPLOAD_BUCKET" --trigger-service-account="$INVOKER_EMAIL" --retry \
  --no-allow-unauthenticated --memory=1Gi --timeout=540s --service-account="$RUNTIME_EMAIL" \
  --set-env-vars="$SCAN_ENV,$R2_ENV,INTERNAL_SERVICE_ACCOUNTS=$INVOKER_EMAIL" --set-secrets="$SECRETS"
run gcloud functions add-invoker-policy-binding run-scan-finalize --project="$PROJECT" --region="$REGION" \
  --member="serviceAccount:$INVOKER_EMAIL"

# TTL: every document carries expire_at.
for group in scan_jobs scan_events scan_cache scan_idempotency scan_leases scan_rate_limits scan_budget push_tokens \
    page_lookalikes dish_pictures; do
  run gcloud firestore fields ttls update expire_at --collection-group="$group" --enable-ttl \
    --project="$PROJECT" --async
done

# The event feed listens to (job_id ==, last_seq >) on scan_events: that needs a composite index.
# Payloads are never queried, so they get no index entries (and no index-size limits).
run gcloud firestore indexes composite create --collection-group=scan_events --query-scope=COLLECTION \
  --field-config=field-path=job_id,order=ascending --field-config=field-path=last_seq,order=ascending \
  --project="$PROJECT" --async || echo "deploy.sh: the scan_events index exists already"
# The finalize trigger looks for jobs created before their upload finished.
run gcloud firestore indexes composite create --collection-group=scan_jobs --query-scope=COLLECTION \
  --field-config=field-path=object_name,order=ascending --field-config=field-path=status,order=ascending \
  --field-config=field-path=created_at,order=ascending \
  --project="$PROJECT" --async || echo "deploy.sh: the scan_jobs index exists already"
# ...and a multi-page job for any of its pages.
run gcloud firestore indexes composite create --collection-group=scan_jobs --query-scope=COLLECTION \
  --field-config=field-path=page_objects,array-config=contains --field-config=field-path=status,order=ascending \
  --field-config=field-path=created_at,order=ascending \
  --project="$PROJECT" --async || echo "deploy.sh: the scan_jobs pages index exists already"
# The watchdog looks for running jobs past their deadline.
run gcloud firestore indexes composite create --collection-group=scan_jobs --query-scope=COLLECTION \
  --field-config=field-path=status,order=ascending --field-config=field-path=deadline_at,order=ascending \
  --project="$PROJECT" --async || echo "deploy.sh: the scan_jobs deadline index exists already"
# The watchdog looks for unfinished jobs by status and age.
run gcloud firestore indexes composite create --collection-group=scan_jobs --query-scope=COLLECTION \
  --field-config=field-path=status,order=ascending --field-config=field-path=created_at,order=ascending \
  --project="$PROJECT" --async || echo "deploy.sh: the scan_jobs watchdog index exists already"
# notify_due (the watchdog's sweep for notifications the queue could not take) is a single-field
# query: Firestore's automatic index serves it.
# page_lookalikes is queried on its band keys alone (array-contains-any, the automatic index).
for field in scan_events:events scan_jobs:items scan_jobs:summary scan_jobs:notify scan_cache:items \
    scan_jobs:tail scan_jobs:profile scan_jobs:result_json scan_profiles:versions scan_jobs:pages \
    page_lookalikes:items page_lookalikes:fingerprint page_lookalikes:fine; do
  run gcloud firestore indexes fields update "${field#*:}" --collection-group="${field%%:*}" --disable-indexes \
    --project="$PROJECT" --async
done

# Uploads are only needed while a job runs: delete them after a day. Browsers PUT photos straight to
# the bucket from the page's origin (and from CORS_ORIGINS'): its CORS rule allows exactly those, with
# the headers upload URLs sign.
LIFECYCLE="$STAGE/lifecycle.json"
echo '{"rule":[{"action":{"type":"Delete"},"condition":{"age":1,"matchesPrefix":["uploads/"]}}]}' > "$LIFECYCLE"
CORS="$STAGE/cors.json"
CORS_LIST=$(printf '"%s",' "${PUBLIC_BASE_URL%/}" ${CORS_ORIGINS//,/ })
echo "[{\"origin\":[${CORS_LIST%,}],\"method\":[\"PUT\"],\"responseHeader\":[\"Content-Type\",\"x-goog-content-length-range\"],\"maxAgeSeconds\":3600}]" > "$CORS"
[ "$DRY_RUN" = 1 ] && { echo "# the uploads bucket's CORS rule:"; cat "$CORS"; }
run gcloud storage buckets update "gs://$UPLOAD_BUCKET" --project="$PROJECT" --lifecycle-file="$LIFECYCLE" \
  --cors-file="$CORS" --uniform-bucket-level-access --public-access-prevention

# Generated images live as long as the jobs that show them, not forever: R2's lifecycle rule, set
# through its S3 API with the R2 secret from Secret Manager (never printed). 2 x TTL_DAYS + 1: a cache
# hit up to TTL_DAYS after an image was drawn shows it in a new job that lives TTL_DAYS more.
R2_DAYS=$((2 * TTL_DAYS + 1))
if [ "$DRY_RUN" = 1 ]; then
  echo "R2_SECRET_ACCESS_KEY=\$(gcloud secrets versions access latest --secret=r2-secret-access-key) $PY -m common.gcp.assets expire-after $R2_DAYS"
else
  R2_SECRET_ACCESS_KEY=$(gcloud secrets versions access latest --secret=r2-secret-access-key --project="$PROJECT") \
    R2_ENDPOINT="$R2_ENDPOINT" R2_ACCESS_KEY_ID="$R2_ACCESS_KEY_ID" R2_BUCKET="$R2_BUCKET" \
    "$PY" -m common.gcp.assets expire-after "$R2_DAYS"
fi

# Observability (docs/observability.md): the functions write spans to Cloud Trace; metrics counted
# from their log lines (monitoring/metrics/, one file each, named as the metric); alert policies on
# them (monitoring/policies/; ALERT_CHANNELS: notification channel names, comma-separated); the
# dashboard (monitoring/dashboard.json). A second deploy updates each in place.
if [ "$TRACE_EXPORTER" = gcp ]; then
  run gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$RUNTIME_EMAIL" \
    --role=roles/cloudtrace.agent --condition=None
fi
for file in monitoring/metrics/*.json; do
  metric=$(basename "$file" .json)
  verb=create
  if [ "$DRY_RUN" = 0 ] && gcloud logging metrics describe "$metric" --project="$PROJECT" >/dev/null 2>&1; then
    verb=update
  fi
  run gcloud logging metrics "$verb" "$metric" --project="$PROJECT" --config-from-file="$file"
done
display_name() { sed -n 's/^  "displayName": "\(.*\)",$/\1/p' "$1"; }
existing() {  # the resource named DISPLAY in a monitoring list command's output, if any (never in a dry run)
  [ "$DRY_RUN" = 1 ] || gcloud "$@" --project="$PROJECT" --format="value(name)" 2>/dev/null | head -n1
}
for file in monitoring/policies/*.json; do
  policy=$(existing alpha monitoring policies list --filter="displayName=\"$(display_name "$file")\"")
  if [ -n "$policy" ]; then
    run gcloud alpha monitoring policies update "$policy" --project="$PROJECT" --policy-from-file="$file" \
      ${ALERT_CHANNELS:+--set-notification-channels="$ALERT_CHANNELS"}
  else
    run gcloud alpha monitoring policies create --project="$PROJECT" --policy-from-file="$file" \
      ${ALERT_CHANNELS:+--notification-channels="$ALERT_CHANNELS"}
  fi
done
DASHBOARD=monitoring/dashboard.json
dashboard=$(existing monitoring dashboards list --filter="displayName=\"$(display_name "$DASHBOARD")\"")
if [ -n "$dashboard" ]; then
  run gcloud monitoring dashboards update "$dashboard" --project="$PROJECT" --config-from-file="$DASHBOARD"
else
  run gcloud monitoring dashboards create --project="$PROJECT" --config-from-file="$DASHBOARD"
fi

# The Worker's origins: one URL per function name used in worker/routes.json.
ORIGINS=worker/origins.json
cat > "$STAGE/origins.json" <<JSON
{
  "signed-url": "$FN_BASE/signed-url",
  "create-job": "$FN_BASE/create-job",
  "events": "$FN_BASE/events",
  "scan-stream": "$FN_BASE/scan-stream",
  "profiles": "$FN_BASE/profiles"
}
JSON
if [ "$DRY_RUN" = 1 ]; then
  echo "# would write $ORIGINS:"; cat "$STAGE/origins.json"
else
  cp "$STAGE/origins.json" "$ORIGINS"; echo "wrote $ORIGINS"
fi
# The Worker serves the page and answers CORS from its vars (worker/wrangler.toml).
echo "# then, in worker/: wrangler secret put ORIGIN_SECRET (once), and"
echo "wrangler deploy --var CORS_ORIGINS:\"${CORS_ORIGINS//,/ }\" --var TRACE_SAMPLE_RATIO:$TRACE_SAMPLE_RATIO" \
  "--var MAX_UPLOAD_BYTES:$MAX_UPLOAD_BYTES"
