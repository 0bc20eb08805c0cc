#!/usr/bin/env bash
# Calling Modelgate with curl: an API key on /v1 and /v2, an OAuth token, and a /v2 request with
# binary tensor data. MODELGATE_URL (default http://localhost:3000) and MODELGATE_API_KEY (a key with
# models:read and models:infer); MODELGATE_CLIENT_ID and MODELGATE_CLIENT_SECRET for the OAuth part.
set -euo pipefail
URL="${MODELGATE_URL:-http://localhost:3000}"
KEY="${MODELGATE_API_KEY:?set MODELGATE_API_KEY}"

echo "# the models this key may use"
curl -sf -H "X-API-Key: $KEY" "$URL/v1/models"; echo

echo "# /v1 predict (rows as instances)"
curl -sf -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.1, 4.7, 1.5]]}' "$URL/v1/models/iris/predict"; echo

echo "# /v2 infer (the Open Inference Protocol, JSON)"
curl -sf -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d '{"id": "curl-1", "inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}' \
  "$URL/v2/models/iris/infer"; echo

echo "# /v2 infer with binary tensor data: the JSON, then 16 bytes of float32 (little-endian)"
HEADER='{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}],"outputs":[{"name":"probabilities"}]}'
{ printf '%s' "$HEADER"; printf '\x33\x33\xa3\x40\x00\x00\x60\x40\x33\x33\xb3\x3f\xcd\xcc\x4c\x3e'; } > /tmp/modelgate-binary-request.bin
curl -sf -H "X-API-Key: $KEY" -H "Inference-Header-Content-Length: ${#HEADER}" \
  --data-binary @/tmp/modelgate-binary-request.bin "$URL/v2/models/iris/infer"; echo

if [[ -n "${MODELGATE_CLIENT_ID:-}" ]]; then
  echo "# an OAuth 2.0 access token (client credentials), then a call with it"
  TOKEN=$(curl -sf -u "$MODELGATE_CLIENT_ID:$MODELGATE_CLIENT_SECRET" -d grant_type=client_credentials "$URL/oauth/token" \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' "$URL/v1/models/iris/predict"; echo
fi

# gRPC, with grpcurl (reflection is on): the same credentials as metadata
#   grpcurl -plaintext -H "x-api-key: $KEY" -d '{"name": "iris"}' localhost:8001 inference.GRPCInferenceService/ModelMetadata
