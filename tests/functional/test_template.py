"""template.yaml is the whole stack: it lints clean, grants each function only what it needs, and agrees
with the code (one function per handler, the settings it sets, the layers the build produces)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from infra import cfn

from mastra.pipeline import STEPS
from mastra.settings import Settings

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = cfn.TEMPLATE


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return cfn.template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]  # type: ignore[no-any-return]


def _functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}


def _target(value: Any) -> str:
    """The logical id an intrinsic points at (``!Ref X``, ``!GetAtt X.Attr``); anything else fails."""
    assert isinstance(value, dict) and len(value) == 1, f"expected !Ref or !GetAtt, got {value!r}"
    ((tag, arg),) = value.items()
    assert tag in ("!Ref", "!GetAtt"), value
    return str(arg).split(".")[0]


def _policies(props: dict[str, Any]) -> set[tuple[str, str]]:
    """A function's policies as {(SAM policy template, the resource it is scoped to) | ("Statement", Sid)}."""
    out: set[tuple[str, str]] = set()
    for policy in props.get("Policies", []):
        assert isinstance(policy, dict) and len(policy) == 1, f"managed or malformed policy: {policy!r}"
        ((name, params),) = policy.items()
        if name == "Statement":
            out |= {("Statement", statement["Sid"]) for statement in params}
        else:
            (target,) = {_target(v) for v in params.values()}
            out.add((name, target))
    return out


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in props.get("Policies", []) if isinstance(p, dict) for s in p.get("Statement", [])]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- lint ----------------------------------------------------------------------------------------


def test_cfn_lint_reports_no_errors_or_warnings() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(TEMPLATE)  # errors and warnings; informational checks are off by default
    assert not matches, "\n".join(str(m) for m in matches)


# ---- one function per handler ---------------------------------------------------------------------


def test_every_handler_has_a_function_and_every_function_a_handler(resources: dict[str, Any]) -> None:
    handlers = {p.parent.name for p in (REPO / "functions").glob("*/app.py")}
    declared = {}
    for logical, props in _functions(resources).items():
        match = re.fullmatch(r"functions/(\w+)/", props["CodeUri"])
        assert match, f"{logical}: CodeUri {props['CodeUri']!r} is not functions/<name>/"
        assert props["Handler"] == "app.handler", logical
        declared[match.group(1)] = logical
    assert set(declared) == handlers
    for step, (logical, _) in STEPS.items():
        assert declared[step] == logical


def test_functions_share_runtime_tracing_and_the_core_layer(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.12" and function["Architectures"] == ["arm64"]
    assert function["Tracing"] == "Active"
    assert function["Layers"] == [{"!Ref": "CoreLayer"}]


def test_function_requirements_are_empty_the_layers_carry_the_dependencies() -> None:
    for path in (REPO / "functions").glob("*/requirements.txt"):
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        assert lines and all(line.startswith("#") for line in lines), path


# ---- least privilege ------------------------------------------------------------------------------

EXPECTED_POLICIES: dict[str, set[tuple[str, str]]] = {
    "SelectAgentFunction": {
        ("DynamoDBReadPolicy", "Table"),
        ("Statement", "UseDataKey"),
        ("Statement", "ReadModelArtifacts"),
        ("Statement", "ListModelArtifacts"),
    },
    "AnalyzeSentimentFunction": {
        ("DynamoDBReadPolicy", "Table"),
        ("Statement", "UseDataKey"),
        ("Statement", "ReadModelArtifacts"),
        ("Statement", "ListModelArtifacts"),
    },
    "ReflectFunction": {("Statement", "CacheAnswers"), ("Statement", "UseDataKey")},
    "ExecuteAgentFunction": {
        ("DynamoDBReadPolicy", "Table"),
        ("Statement", "UseDataKey"),
        ("Statement", "ReadLargeMessages"),
        ("Statement", "InvokeBedrockModels"),
        ("Statement", "ReadAgentSecrets"),
        ("Statement", "ReadAgentSecretValues"),
        ("Statement", "InvokeLambdaAgentsAndTools"),
        ("Statement", "InvokeSageMakerEndpoints"),
    },
    "RememberFunction": {
        ("DynamoDBCrudPolicy", "Table"),
        ("SQSSendMessagePolicy", "EventsQueue"),
        ("Statement", "WriteLargeMessages"),
        ("Statement", "UseDataKey"),
    },
    "EventConsumerFunction": {
        ("DynamoDBCrudPolicy", "Table"),
        ("SQSPollerPolicy", "EventsQueue"),
        ("EventBridgePutEventsPolicy", "EventBus"),
        ("Statement", "UseDataKey"),
    },
    "RequestWorkerFunction": {
        ("DynamoDBCrudPolicy", "Table"),
        ("SQSPollerPolicy", "RequestsQueue"),
        ("SQSSendMessagePolicy", "EventsQueue"),
        ("Statement", "UseDataKey"),
        ("Statement", "ReadLargeMessages"),
        ("Statement", "RunRequestPipeline"),
        ("Statement", "ReadRequestPipelineExecutions"),
        ("Statement", "ReadCallbackSecrets"),
    },
    "RetrainFunction": {
        ("DynamoDBCrudPolicy", "Table"),
        ("SQSSendMessagePolicy", "EventsQueue"),
        ("Statement", "ReadWriteTrainingData"),
        ("Statement", "ListTrainingData"),
        ("Statement", "RunTrainingJobs"),
        ("Statement", "PassTrainingJobRole"),
        ("Statement", "UseDataKey"),
    },
    "ApiFunction": {
        ("DynamoDBCrudPolicy", "Table"),
        ("SQSSendMessagePolicy", "EventsQueue"),
        ("SQSSendMessagePolicy", "RequestsQueue"),
        ("Statement", "UseDataKey"),
        ("Statement", "ManageLargeMessages"),
        ("Statement", "ListLargeMessages"),
        ("Statement", "RunRequestPipeline"),
        ("Statement", "ReadRequestPipelineExecutions"),
        ("Statement", "IdempotencyRecords"),
    },
}


def test_each_function_has_exactly_its_policies(resources: dict[str, Any]) -> None:
    functions = _functions(resources)
    assert set(functions) == set(EXPECTED_POLICIES)
    for logical, props in functions.items():
        assert "Role" not in props, f"{logical}: a hand-made role bypasses these checks"
        assert _policies(props) == EXPECTED_POLICIES[logical], logical


def test_no_function_statement_allows_every_resource(resources: dict[str, Any]) -> None:
    for logical, props in _functions(resources).items():
        for statement in _statements(props):
            assert statement["Effect"] == "Allow"
            assert "*" not in _as_list(statement["Resource"]), f"{logical}: {statement['Sid']}"
            assert not any(a == "*" or a.endswith(":*") for a in _as_list(statement["Action"])), logical


def test_the_state_machine_invokes_its_steps_and_only_log_delivery_is_unscoped(resources: dict[str, Any]) -> None:
    props = resources["RequestPipeline"]["Properties"]
    invoked = {_target(p["LambdaInvokePolicy"]["FunctionName"]) for p in props["Policies"] if "LambdaInvokePolicy" in p}
    assert invoked == {logical for logical, _ in STEPS.values()}
    unscoped = [s["Sid"] for s in _statements(props) if "*" in _as_list(s["Resource"])]
    assert unscoped == ["DeliverExecutionLogs"]  # CloudWatch Logs' delivery APIs take no resource ARN
    assert all(a.startswith("logs:") for a in _statements(props)[0]["Action"])


def test_the_api_may_start_and_describe_only_the_request_pipeline(resources: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in _statements(resources["ApiFunction"]["Properties"])}
    run = statements["RunRequestPipeline"]
    assert set(run["Action"]) == {"states:StartSyncExecution", "states:StartExecution"}
    assert run["Resource"] == {"!Ref": "RequestPipeline"}
    describe = statements["ReadRequestPipelineExecutions"]
    assert describe["Action"] == "states:DescribeExecution"
    arns = [sub["!Sub"] for sub in describe["Resource"]]
    assert {pattern.split(":")[-3] for pattern, _ in arns} == {"express", "execution"}
    for pattern, names in arns:
        assert pattern.endswith(":${Name}:*") and names == {"Name": {"!GetAtt": "RequestPipeline.Name"}}


def test_bedrock_is_limited_to_foundation_models(resources: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in _statements(resources["ExecuteAgentFunction"]["Properties"])}
    assert statements["InvokeBedrockModels"]["Resource"]["!Sub"].endswith(":bedrock:${AWS::Region}::foundation-model/*")


def test_large_messages_are_reachable_only_under_the_memory_prefix(resources: dict[str, Any]) -> None:
    for function, sid in [
        ("ExecuteAgentFunction", "ReadLargeMessages"),
        ("RememberFunction", "WriteLargeMessages"),
        ("ApiFunction", "ManageLargeMessages"),
    ]:
        statements = {s["Sid"]: s for s in _statements(resources[function]["Properties"])}
        assert statements[sid]["Resource"] == {"!Sub": "${ArtifactsBucket.Arn}/memory/*"}, function
    listing = {s["Sid"]: s for s in _statements(resources["ApiFunction"]["Properties"])}["ListLargeMessages"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["memory/*"]}}


# ---- settings reach the code only as environment variables --------------------------------------


def _environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    return {**variables, **own}


def test_environment_names_real_settings_and_validates(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    stand_ins = {
        "Table": "mastra-Table-1",
        "IdempotencyTable": "mastra-IdempotencyTable-1",
        "EventsQueue": "https://sqs.us-east-1.amazonaws.com/1/q",
        "ArtifactsBucket": "mastra-artifacts",
        "RequestPipeline": "arn:aws:states:us-east-1:1:stateMachine:p",
        "RequestsQueue": "https://sqs.us-east-1.amazonaws.com/1/requests",
        "EventBus": "mastra-events",
    }

    def resolve(value: Any) -> str:
        if isinstance(value, dict) and "!GetAtt" in value:
            return f"arn:aws:iam::1:role/{value['!GetAtt']}"
        if isinstance(value, dict) and "!Sub" in value:
            return str(value["!Sub"]).replace("${AWS::StackName}", "mastra")
        if isinstance(value, dict):
            name = value["!Ref"]
            return str(parameters[name]["Default"]) if name in parameters else stand_ins[name]
        return str(value)

    for function in _functions(template["Resources"]):
        env = {k: resolve(v) for k, v in _environment(template, function).items()}
        assert env["POWERTOOLS_SERVICE_NAME"] == "mastra" and env["POWERTOOLS_METRICS_NAMESPACE"] == "Mastra"
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        for name in env:
            if name.startswith("MASTRA_"):
                assert name[len("MASTRA_") :].lower() in Settings.model_fields, name
        settings = Settings.from_env(env)
        assert (settings.store, settings.events, settings.table_name) == ("dynamodb", "sqs", "mastra-Table-1")
        assert settings.retention_days == 365 and str(settings.home) == "/tmp/mastra"
        assert settings.confidence_floor == Settings.model_fields["confidence_floor"].default
        expected = "stepfunctions" if function in ("ApiFunction", "RequestWorkerFunction") else "local"
        assert settings.pipeline == expected, function
        queued = function in ("ApiFunction", "RequestWorkerFunction")
        assert settings.requests_queue == ("sqs" if queued else "local"), function


# ---- data resources (the moto tests build theirs from these same properties) --------------------


def test_table(resources: dict[str, Any]) -> None:
    props = resources["Table"]["Properties"]
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        ("PK", "S"),
        ("SK", "S"),
        ("GSI1PK", "S"),
        ("GSI1SK", "S"),
        ("GSI2PK", "S"),
        ("GSI2SK", "S"),
    }
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    threads, messages = props["GlobalSecondaryIndexes"]
    assert threads["IndexName"] == "GSI1" and threads["Projection"] == {"ProjectionType": "ALL"}
    assert threads["KeySchema"] == [
        {"AttributeName": "GSI1PK", "KeyType": "HASH"},
        {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
    ]
    # A user's messages: what recall and erasure read (embedding, expiry, request), nothing more.
    assert messages["IndexName"] == "GSI2" and messages["KeySchema"] == [
        {"AttributeName": "GSI2PK", "KeyType": "HASH"},
        {"AttributeName": "GSI2SK", "KeyType": "RANGE"},
    ]
    assert messages["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["emb", "expires_at", "request_id"],
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"!Ref": "DataKey"}}


def test_events_queue_redrives_to_the_dead_letter_queue(resources: dict[str, Any]) -> None:
    queue, dlq = resources["EventsQueue"]["Properties"], resources["EventsDLQ"]["Properties"]
    consumer = resources["EventConsumerFunction"]["Properties"]
    assert queue["KmsMasterKeyId"] == dlq["KmsMasterKeyId"] == {"!Ref": "DataKey"}
    assert queue["VisibilityTimeout"] == 6 * consumer["Timeout"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"!GetAtt": "EventsDLQ.Arn"}, "maxReceiveCount": 3}
    assert dlq["MessageRetentionPeriod"] == 1209600


def test_event_consumer_reads_the_queue_with_partial_batch_failures(resources: dict[str, Any]) -> None:
    consumer = resources["EventConsumerFunction"]["Properties"]
    # `Events: {Type: SQS}` would also attach AWSLambdaSQSQueueExecutionRole (every queue in the account).
    assert all(e["Type"] != "SQS" for e in consumer.get("Events", {}).values())
    mapping = resources["EventConsumerMapping"]["Properties"]
    assert mapping["EventSourceArn"] == {"!GetAtt": "EventsQueue.Arn"}
    assert mapping["FunctionName"] == {"!Ref": "EventConsumerFunction"}
    assert mapping["BatchSize"] == 10 and mapping["MaximumBatchingWindowInSeconds"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_events_parked_in_the_dead_letter_queue_raise_an_alarm(resources: dict[str, Any]) -> None:
    alarm = resources["EventsDLQAlarm"]["Properties"]
    assert alarm["Namespace"] == "AWS/SQS" and alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"!GetAtt": "EventsDLQ.QueueName"}}]
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert resources["EventsQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "!GetAtt": "EventsDLQ.Arn"
    }
    assert resources["AlarmTopic"]["Condition"] == "HasAlarmEmail"  # emails only when an address is given


def test_artifacts_bucket_is_private_encrypted_versioned_and_tls_only(resources: dict[str, Any]) -> None:
    props = resources["ArtifactsBucket"]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"!GetAtt": "DataKey.Arn"},
    }
    assert rule["BucketKeyEnabled"] is True
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = resources["ArtifactsBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"!Ref": "ArtifactsBucket"}
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [{"!GetAtt": "ArtifactsBucket.Arn"}, {"!Sub": "${ArtifactsBucket.Arn}/*"}]


# ---- API, layers, outputs ---------------------------------------------------------------------------


def test_http_api_sends_every_route_to_the_api_function(resources: dict[str, Any]) -> None:
    assert "Events" not in resources["ApiFunction"]["Properties"]  # the routes below, not SAM's
    integration = resources["ApiIntegration"]["Properties"]
    assert (
        integration["IntegrationUri"] == {"!GetAtt": "ApiFunction.Arn"} and integration["PayloadFormatVersion"] == "2.0"
    )
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert all(r["Target"] == {"!Sub": "integrations/${ApiIntegration}"} for r in routes.values())
    permission = resources["ApiInvokePermission"]["Properties"]
    assert (
        permission["FunctionName"] == {"!Ref": "ApiFunction"} and permission["Principal"] == "apigateway.amazonaws.com"
    )
    # With JwtIssuerUrl, API Gateway verifies JWTs on $default; the public routes never need one.
    assert routes["$default"]["AuthorizationType"] == {"!If": ["HasJwtIssuer", "JWT", "NONE"]}
    assert routes["$default"]["AuthorizerId"] == {
        "!If": ["HasJwtIssuer", {"!Ref": "JwtAuthorizer"}, {"!Ref": "AWS::NoValue"}]
    }
    public = {"GET /healthz", "GET /docs", "GET /openapi.json", "GET /redoc", "GET /ui", "GET /ui/{name}"}
    assert set(routes) == {"$default", *public}
    assert all(routes[k]["AuthorizationType"] == "NONE" for k in public)
    authorizer = resources["JwtAuthorizer"]
    assert authorizer["Condition"] == "HasJwtIssuer" and authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert authorizer["Properties"]["JwtConfiguration"] == {
        "Issuer": {"!Ref": "JwtIssuerUrl"},
        "Audience": {"!Ref": "JwtAudience"},
    }
    env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["MASTRA_JWT_TENANT_CLAIM"] == {"!Ref": "JwtTenantClaim"}


def test_layers(resources: dict[str, Any]) -> None:
    core, api = resources["CoreLayer"], resources["ApiLayer"]
    assert core["Properties"]["ContentUri"] == "layers/core/" and core["Metadata"]["BuildMethod"] == "makefile"
    assert "build-CoreLayer:" in (REPO / "layers" / "core" / "Makefile").read_text()
    assert api["Properties"]["ContentUri"] == "layers/api/" and api["Metadata"]["BuildMethod"] == "python3.12"
    assert api["Metadata"]["BuildArchitecture"] == "arm64"
    for logical, props in _functions(resources).items():
        expected = [{"!Ref": "ApiLayer"}] if logical == "ApiFunction" else None
        assert props.get("Layers") == expected, logical


def test_the_layer_build_writes_the_compiled_agents_where_settings_look() -> None:
    makefile = (REPO / "layers" / "core" / "Makefile").read_text()
    default = Settings.model_fields["prebuilt_dir"].default
    assert f'--out "$(ARTIFACTS_DIR)/python/mastra/{default.name}"' in makefile
    assert default.parent.name == "mastra"


def test_api_layer_requirements_match_the_api_extra() -> None:
    def names(lines: list[str]) -> set[str]:
        return {re.split(r"[<>=!~\[ ;]", line.strip(), maxsplit=1)[0].lower() for line in lines}

    layer = [line for line in (REPO / "layers/api/requirements.txt").read_text().splitlines() if line.strip()]
    layer = [line for line in layer if not line.startswith("#")]
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["api"]
    assert names(layer) == names(extra) - {"uvicorn"}  # uvicorn serves locally (`mastra serve`) only


def test_outputs(template: dict[str, Any]) -> None:
    assert set(template["Outputs"]) == {
        "ApiUrl",
        "RequestPipelineArn",
        "TableName",
        "IdempotencyTableName",
        "EventsQueueUrl",
        "ArtifactsBucketName",
        "RetrainingStateMachineArn",
        "RequestsQueueUrl",
        "EventBusName",
        "DataKeyArn",
    }


def test_large_message_payloads_expire_with_the_stacks_retention(resources: dict[str, Any]) -> None:
    rules = {r["Id"]: r for r in resources["ArtifactsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    memory = rules["ExpireMemoryPayloads"]
    assert memory["Prefix"] == "memory/" and memory["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert memory["ExpirationInDays"] == {"!If": ["HasRetention", {"!Ref": "RetentionDays"}, {"!Ref": "AWS::NoValue"}]}


# ---- monitoring: the dashboard and alarms read metrics the functions emit --------------------------


def _dashboard(resources: dict[str, Any]) -> dict[str, Any]:
    import json

    body, names = resources["Dashboard"]["Properties"]["DashboardBody"]["!Sub"]
    assert set(names) == {"DLQName"}
    text = re.sub(r"\$\{(LatencyAlarmMs|RewardAlarmThreshold)\}", "1", body)
    return json.loads(re.sub(r"\$\{[\w.:]+\}", "x", text))  # type: ignore[no-any-return]


def test_dashboard_and_alarms_read_only_metrics_the_code_emits(resources: dict[str, Any]) -> None:
    from mastra.pipeline import STEPS
    from mastra.stats.metrics import METRIC_NAMES, NAMESPACE, SERVICE

    read: set[str] = set()
    for widget in _dashboard(resources)["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            namespace, name, *dims = [m for m in metric if not isinstance(m, dict)]
            if namespace == "AWS/SQS":
                continue
            assert namespace == NAMESPACE and dims[:2] == ["service", SERVICE], metric
            if name == "StepLatency":
                assert dims[2] == "step" and dims[3] in STEPS
            read.add(name)
    for logical in ("ErrorRateAlarm", "LatencyP99Alarm", "RewardDropAlarm"):
        props = resources[logical]["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m] or [props]
        for metric in stats:
            assert metric["Namespace"] == NAMESPACE, logical
            assert metric["Dimensions"] == [{"Name": "service", "Value": SERVICE}], logical
            read.add(metric["MetricName"])
        assert props["AlarmActions"] == {"!If": ["HasAlarmEmail", [{"!Ref": "AlarmTopic"}], {"!Ref": "AWS::NoValue"}]}
    assert read <= METRIC_NAMES, read - METRIC_NAMES
    assert {"Requests", "RequestErrors", "RequestLatency", "Reward", "StepLatency"} <= read


def test_every_function_logs_and_emits_metrics_with_powertools() -> None:
    for path in (REPO / "functions").glob("*/app.py"):
        source = path.read_text()
        assert "Logger()" in source and "Metrics(namespace=NAMESPACE, service=SERVICE)" in source, path
        assert "@metrics.log_metrics" in source and "inject_lambda_context" in source, path


def test_alarms_cover_errors_latency_dead_letters_and_reward(resources: dict[str, Any]) -> None:
    rate = resources["ErrorRateAlarm"]["Properties"]
    (expression,) = [m for m in rate["Metrics"] if m.get("ReturnData")]
    assert "errors / requests" in expression["Expression"] and rate["Threshold"] == 0.05
    p99 = resources["LatencyP99Alarm"]["Properties"]
    assert p99["ExtendedStatistic"] == "p99" and p99["Threshold"] == {"!Ref": "LatencyAlarmMs"}
    reward = resources["RewardDropAlarm"]["Properties"]
    assert reward["ComparisonOperator"] == "LessThanThreshold" and reward["Statistic"] == "Average"
    assert resources["EventsDLQAlarm"]["Type"] == "AWS::CloudWatch::Alarm"


# ---- scheduled retraining -------------------------------------------------------------------------


def test_the_retraining_state_machine_runs_on_a_schedule_that_can_be_disabled(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    from mastra.training import retraining

    props = resources["RetrainingStateMachine"]["Properties"]
    assert props["DefinitionUri"] == retraining.ASL_PATH and props["Type"] == "STANDARD"
    assert props["DefinitionSubstitutions"] == {"RetrainFunctionArn": {"!GetAtt": "RetrainFunction.Arn"}}
    assert [p["LambdaInvokePolicy"]["FunctionName"] for p in props["Policies"]] == [{"!Ref": "RetrainFunction"}]
    schedule = props["Events"]["Schedule"]
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["ScheduleExpression"] == {"!Ref": "RetrainingSchedule"}
    assert template["Parameters"]["RetrainingSchedule"]["Default"] == "rate(1 day)"
    assert schedule["Properties"]["State"] == {"!If": ["RetrainingScheduled", "ENABLED", "DISABLED"]}
    enabled = template["Conditions"]["RetrainingScheduled"]["!And"]
    assert {"!Equals": [{"!Ref": "RetrainingEnabled"}, "true"]} in enabled  # a switch, and no image: off
    assert {"!Not": [{"!Equals": [{"!Ref": "TrainingImageUri"}, ""]}]} in enabled
    from mastra.training.retrain_steps import RunConfig

    config = RunConfig.model_validate_json(schedule["Properties"]["Input"])
    assert config.trainer == "sagemaker" and config.kind == "router"


def test_the_retraining_function_runs_only_its_own_training_jobs(resources: dict[str, Any]) -> None:
    props = resources["RetrainFunction"]["Properties"]
    assert props["CodeUri"] == "functions/retrain/"
    env = props["Environment"]["Variables"]
    assert env["RETRAINING_ROLE_ARN"] == {"!GetAtt": "TrainingJobRole.Arn"}
    assert env["RETRAINING_IMAGE_URI"] == {"!Ref": "TrainingImageUri"}
    statements = {s["Sid"]: s for s in _statements(props)}
    jobs = statements["RunTrainingJobs"]
    assert set(jobs["Action"]) == {"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:AddTags"}
    assert jobs["Resource"]["!Sub"].endswith(":training-job/mastra-*")
    pass_role = statements["PassTrainingJobRole"]
    assert pass_role["Action"] == "iam:PassRole" and pass_role["Resource"] == {"!GetAtt": "TrainingJobRole.Arn"}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    data = statements["ReadWriteTrainingData"]["Resource"]
    assert data == [{"!Sub": "${ArtifactsBucket.Arn}/training/*"}, {"!Sub": "${ArtifactsBucket.Arn}/models/*"}]


def test_the_training_job_role_reaches_only_training_data_and_its_logs(resources: dict[str, Any]) -> None:
    role = resources["TrainingJobRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(statements) == {"TrainingData", "ListTrainingData", "TrainingLogs", "UseDataKey"}
    assert statements["UseDataKey"]["Resource"] == {"!GetAtt": "DataKey.Arn"}
    assert statements["TrainingData"]["Resource"] == {"!Sub": "${ArtifactsBucket.Arn}/training/*"}
    assert statements["ListTrainingData"]["Condition"] == {"StringLike": {"s3:prefix": ["training/*"]}}
    assert statements["TrainingLogs"]["Resource"]["!Sub"].endswith(":log-group:/aws/sagemaker/TrainingJobs:*")
    for statement in statements.values():
        assert "*" not in _as_list(statement["Resource"])


def test_agent_secrets_and_invokes_are_scoped_to_prefixes(resources: dict[str, Any]) -> None:
    policies = resources["ExecuteAgentFunction"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for p in policies if "Statement" in p for s in p["Statement"]}
    expected = {
        "ReadAgentSecrets": ("ssm:GetParameter", ":parameter/${SecretsPrefix}/*"),
        "ReadAgentSecretValues": ("secretsmanager:GetSecretValue", ":secret:${SecretsPrefix}/*"),
        "InvokeLambdaAgentsAndTools": ("lambda:InvokeFunction", ":function:${LambdaAgentPrefix}*"),
        "InvokeSageMakerEndpoints": ("sagemaker:InvokeEndpoint", ":endpoint/${SageMakerEndpointPrefix}*"),
    }
    for sid, (action, suffix) in expected.items():
        statement = statements[sid]
        assert statement["Action"] == [action], sid
        resource = statement["Resource"]
        text = next(iter(resource.values())) if isinstance(resource, dict) else resource  # !Sub
        assert text.endswith(suffix), (sid, text)


# ---- async requests, outbound events, the customer managed key ----------------------------------------


def test_requests_queue_redrives_after_the_receives_the_worker_counts(resources: dict[str, Any]) -> None:
    queue, dlq = resources["RequestsQueue"]["Properties"], resources["RequestsDLQ"]["Properties"]
    worker = resources["RequestWorkerFunction"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * worker["Timeout"]
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"!GetAtt": "RequestsDLQ.Arn"}
    # The worker fails the status record on the last receive: it must know the queue's count.
    assert worker["Environment"]["Variables"]["MASTRA_REQUESTS_MAX_RECEIVES"] == str(receives)
    assert Settings.model_fields["requests_max_receives"].default == receives
    assert dlq["MessageRetentionPeriod"] == 1209600
    mapping = resources["RequestWorkerMapping"]["Properties"]
    assert mapping["EventSourceArn"] == {"!GetAtt": "RequestsQueue.Arn"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm = resources["RequestsDLQAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"!GetAtt": "RequestsDLQ.QueueName"}}]


def test_callback_secrets_are_read_only_under_the_stacks_prefix(resources: dict[str, Any]) -> None:
    worker = resources["RequestWorkerFunction"]["Properties"]
    statements = {s["Sid"]: s for s in _statements(worker)}
    read = statements["ReadCallbackSecrets"]
    assert read["Action"] == ["ssm:GetParameter"]
    assert read["Resource"]["!Sub"].endswith(":parameter/${AWS::StackName}/callback-secret/*")
    prefix = worker["Environment"]["Variables"]["MASTRA_CALLBACK_SECRET_PREFIX"]["!Sub"]
    assert read["Resource"]["!Sub"].endswith(prefix.lstrip("/") + "*")


def test_events_are_forwarded_to_the_bus(resources: dict[str, Any]) -> None:
    consumer = resources["EventConsumerFunction"]["Properties"]
    assert consumer["Environment"]["Variables"]["MASTRA_EVENT_BUS_NAME"] == {"!Ref": "EventBus"}
    assert resources["EventBus"]["Type"] == "AWS::Events::EventBus"
    assert resources["EventArchive"]["Properties"]["EventPattern"] == {"source": ["mastra"]}


def test_data_at_rest_uses_the_customer_managed_key_with_rotation(resources: dict[str, Any]) -> None:
    key = resources["DataKey"]
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    assert props["KeyPolicy"]["Statement"][0]["Principal"] == {
        "AWS": {"!Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    for queue in ("EventsQueue", "EventsDLQ", "RequestsQueue", "RequestsDLQ"):
        assert resources[queue]["Properties"]["KmsMasterKeyId"] == {"!Ref": "DataKey"}, queue
    for logical, props in _functions(resources).items():  # every function touches encrypted data
        use = {s["Sid"]: s for s in _statements(props)}["UseDataKey"]
        assert use["Resource"] == {"!GetAtt": "DataKey.Arn"}, logical
        assert set(use["Action"]) <= {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
