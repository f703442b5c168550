#!/usr/bin/env bash
# The one way retrain.yml and template-sync.yml propose a change: a pull request pushed with a
# bot token, so that `ci` and `model-report` run on it, or else an issue saying what to do.
#
#   propose.sh token
#       Which bot token is configured: writes kind=app|token|none to GITHUB_OUTPUT.
#       env: APP_ID, APP_PRIVATE_KEY (a GitHub App), BOT_TOKEN (a fine-grained token).
#   propose.sh change BRANCH LABEL TITLE BODY_FILE MANUAL_FILE
#       With a bot token: force-push HEAD to BRANCH and open its pull request, or update the
#       one already open. Without: the LABEL issue (see `issue`) with MANUAL_FILE (what to run
#       by hand) and how to configure a token. env: BOT_TOKEN (the chosen token, or empty).
#   propose.sh issue LABEL TITLE BODY_FILE
#       Open the issue labelled LABEL, or comment on the one already open (one at a time).
#       env: GH_TOKEN (the workflow's GITHUB_TOKEN is enough: no workflow needs to run on it).
#
# Why a bot token: events caused by GITHUB_TOKEN, except workflow_dispatch and
# repository_dispatch, start no workflow run, so a pull request it opens or pushes to is never
# checked by `ci` or `model-report` ("Triggering a workflow from a workflow", GitHub docs:
# docs.github.com/actions/how-tos/write-workflows/choose-when-workflows-run/trigger-a-workflow).
# A GitHub App installation token or a personal access token does start them.
#
# env for every command: GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID (set by GitHub).
set -euo pipefail

readonly server="${GITHUB_SERVER_URL:-https://github.com}"
export GH_REPO="${GITHUB_REPOSITORY}"

choose_token() {
    local kind
    if [ -n "${APP_ID:-}" ] && [ -n "${APP_PRIVATE_KEY:-}" ]; then
        kind=app
    elif [ -n "${APP_ID:-}" ] || [ -n "${APP_PRIVATE_KEY:-}" ]; then
        echo "Only one of the secrets APP_ID and APP_PRIVATE_KEY is set: set both (or neither)." >&2
        exit 1
    elif [ -n "${BOT_TOKEN:-}" ]; then
        kind=token
    else
        kind=none
    fi
    echo "Bot token: ${kind}"
    echo "kind=${kind}" >> "${GITHUB_OUTPUT}"
}

open_or_update_issue() {
    local label=$1 title=$2 body=$3 existing
    gh label create "${label}" --force --color FBCA04 \
        --description "Needs a person: opened by the ${label} workflow"
    existing="$(gh issue list --label "${label}" --state open --limit 1 \
        --json number --jq '.[0].number // empty')"
    if [ -n "${existing}" ]; then
        gh issue comment "${existing}" --body-file - < "${body}"
    else
        gh issue create --label "${label}" --title "${title}" --body-file - < "${body}"
    fi
}

token_help() {
    cat <<HELP

## Let this workflow open pull requests that CI checks

A pull request opened with the workflow's own \`GITHUB_TOKEN\` would never run \`ci\` or
\`model-report\` (GitHub starts no workflow from that token's events), so the workflow opens
pull requests only with a bot token. Configure one of these (repository Settings → Secrets and
variables → Actions), then re-run the workflow:

- **A GitHub App** (recommended: short-lived tokens, not tied to a person). Create an App with
  the repository permissions *Contents*, *Pull requests* and *Workflows*: read and write
  (*Workflows* because template updates change \`.github/workflows/\`), install it on this
  repository, then
  \`gh secret set APP_ID --body <the App's Client ID or App ID>\` and
  \`gh secret set APP_PRIVATE_KEY < <the App's private key>.pem\`.
- **A fine-grained personal access token** for this repository with the same three
  permissions: \`gh secret set BOT_TOKEN\`.

Run: ${server}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}
HELP
}

propose_change() {
    local branch=$1 label=$2 title=$3 body=$4 manual=$5 existing issue_body
    if [ -z "${BOT_TOKEN:-}" ]; then
        issue_body="$(mktemp)"
        { cat "${manual}"; token_help; } > "${issue_body}"
        open_or_update_issue "${label}" "${title}: run it by hand or configure a bot token" \
            "${issue_body}"
        return
    fi
    # One branch per workflow, owned by the bot: each run replaces it, so its pull request
    # always shows the latest proposal (pushes to it by hand are overwritten).
    git push --force "https://x-access-token:${BOT_TOKEN}@${server#https://}/${GITHUB_REPOSITORY}.git" \
        "HEAD:refs/heads/${branch}"
    existing="$(GH_TOKEN="${BOT_TOKEN}" gh pr list --head "${branch}" --state open --limit 1 \
        --json number --jq '.[0].number // empty')"
    if [ -n "${existing}" ]; then
        GH_TOKEN="${BOT_TOKEN}" gh pr edit "${existing}" --title "${title}" --body-file - < "${body}"
    else
        GH_TOKEN="${BOT_TOKEN}" gh pr create --head "${branch}" --title "${title}" \
            --body-file - < "${body}"
    fi
}

command=${1:?usage: propose.sh token | change ... | issue ...}
shift
case "${command}" in
    token) choose_token ;;
    change) propose_change "$@" ;;
    issue) open_or_update_issue "$@" ;;
    *) echo "propose.sh: unknown command ${command}" >&2; exit 2 ;;
esac
