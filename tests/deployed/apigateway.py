"""API Gateway REST API (payload format 1.0) as Zappa deploys it: one `/{proxy+}` and one `/` resource with ANY,
Lambda proxy integration, binary media type `*/*`, edge-optimized endpoint (Zappa sets no EndpointConfiguration).

Sources, by field group:
- Event and answer shapes (resource, path, httpMethod, headers/multiValueHeaders, query strings, pathParameters,
  stageVariables, requestContext, body, isBase64Encoded; statusCode, headers/multiValueHeaders merge, body):
  https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  ("Input format of a Lambda function for proxy integration", "Output format ...")
- `/{proxy+}` + `/` with ANY, binaryMediaTypes `*/*` when binary_support: zappa/core.py (create_api_gateway_routes,
  add_binary_support); with `*/*` every request body reaches the function base64-encoded, and an
  `isBase64Encoded: true` answer is decoded back to bytes:
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html
- Edge-optimized endpoints arrive through CloudFront: Via, X-Amz-Cf-Id, CloudFront-* headers, and X-Forwarded-For
  ends with "<client>, <edge address>"; regional endpoints append only the client address:
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html
- API Gateway's own errors: function error or timeout -> 502 {"message": "Internal server error"}
  (github.com/DataBiosphere/azul/issues/8258: INTEGRATION_FAILURE for an oversized answer); integration timeout
  (29 s) -> 504 {"message": "Endpoint request timed out"}; a request Lambda refuses as too large -> 413
  {"message": "Request Too Long"}, and over API Gateway's own 10 MB -> 413 "HTTP content length exceeded 10485760
  bytes." (both seen in github.com/koki-develop/lgtm-generator/issues/10); unknown stage -> 403 {"message":
  "Forbidden"}. Limits: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
  Default gateway responses: https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

ACCOUNT_ID = "123456789012"
INTEGRATION_TIMEOUT_SECONDS = 29
PAYLOAD_LIMIT = 10 * 1024 * 1024
EDGE_ADDRESS = "130.176.0.1"  # a CloudFront edge's address on the way to the API (AWS's published CLOUDFRONT range)


@dataclass(frozen=True)
class Api:
    """One deployed REST API stage: where it lives publicly and what kind of endpoint it is."""

    api_id: str
    region: str
    stage: str
    endpoint_type: str = "EDGE"  # Zappa's default; "REGIONAL" when the stage sets endpoint_configuration
    binary_media_types: tuple[str, ...] = ("*/*",)

    @property
    def domain(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def origin(self) -> str:
        return f"https://{self.domain}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/{self.stage}"


@dataclass(frozen=True)
class Answer:
    """What the front sends back to the HTTP client."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def gateway_error(status: int, message: str, error_type: str | None = None) -> Answer:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, headers, json.dumps({"message": message}).encode())


def _is_binary(content_type: str | None, api: Api) -> bool:
    if "*/*" in api.binary_media_types:
        return True
    return (content_type or "").split(";")[0].strip().lower() in api.binary_media_types


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    """(last value per name, all values per name), both null when there are none, as API Gateway sends them."""
    if not pairs:
        return None, None
    single, multi = {}, {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def request_event(api: Api, method: str, raw_path: str, raw_query: str, headers: list[tuple[str, str]],
                  body: bytes, source_ip: str) -> dict:
    """The proxy event for one HTTP request that reached https://<domain>/<stage><path>."""
    path = unquote(raw_path)
    headers = list(headers)
    forwarded = [value for name, value in headers if name.lower() == "x-forwarded-for"]
    headers = [(n, v) for n, v in headers if n.lower() not in ("x-forwarded-for", "x-forwarded-proto",
                                                                 "x-forwarded-port", "host", "connection")]
    chain = forwarded + [source_ip] + ([EDGE_ADDRESS] if api.endpoint_type == "EDGE" else [])
    request_id = str(uuid.uuid4())
    headers += [("Host", api.domain), ("X-Forwarded-For", ", ".join(chain)), ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Port", "443"), ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")]
    if api.endpoint_type == "EDGE":
        headers += [("Via", f"2.0 {uuid.uuid4().hex[:32]}.cloudfront.net (CloudFront)"),
                    ("X-Amz-Cf-Id", base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode()[:56]),
                    ("CloudFront-Forwarded-Proto", "https"), ("CloudFront-Is-Desktop-Viewer", "true"),
                    ("CloudFront-Is-Mobile-Viewer", "false"), ("CloudFront-Is-SmartTV-Viewer", "false"),
                    ("CloudFront-Is-Tablet-Viewer", "false"), ("CloudFront-Viewer-Country", "ID")]
    single_headers, multi_headers = _single_and_multi(headers)
    query, multi_query = _single_and_multi(parse_qsl(raw_query, keep_blank_values=True))
    content_type = next((v for n, v in headers if n.lower() == "content-type"), None)
    binary = bool(body) and _is_binary(content_type, api)
    proxy = path.lstrip("/")
    user_agent = next((v for n, v in headers if n.lower() == "user-agent"), None)
    return {
        "resource": "/{proxy+}" if proxy else "/",
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123", "resourcePath": "/{proxy+}" if proxy else "/", "httpMethod": method,
            "extendedRequestId": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "path": f"/{api.stage}{path}", "accountId": ACCOUNT_ID, "protocol": "HTTP/1.1", "stage": api.stage,
            "domainPrefix": api.api_id, "requestTimeEpoch": int(time.time() * 1000), "requestId": request_id,
            "identity": {"cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
                         "sourceIp": source_ip, "principalOrgId": None, "accessKey": None,
                         "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                         "userArn": None, "userAgent": user_agent, "user": None},
            "domainName": api.domain, "apiId": api.api_id,
        },
        "body": (base64.b64encode(body).decode() if binary else body.decode("utf-8")) if body else None,
        "isBase64Encoded": binary,
    }


def proxy_answer(result) -> Answer:
    """The function's proxy result as HTTP; a malformed one is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return gateway_error(502, "Internal server error")
    merged: dict[str, list[str]] = {}
    for name, value in (result.get("headers") or {}).items():
        merged[name] = [str(value)]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        merged[name] = [str(value) for value in values]  # multiValueHeaders win over headers for the same name
    body = result.get("body") or ""
    if not isinstance(body, str):
        return gateway_error(502, "Internal server error")
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = [(name, value) for name, values in merged.items() for value in values
               if name.lower() not in ("content-length", "connection", "transfer-encoding")]
    headers += [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amz-apigw-id", uuid.uuid4().hex[:16])]
    return Answer(result["statusCode"], headers, data)
