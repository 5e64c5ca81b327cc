"""Privacy policies in the single DynamoDB table: item ``PK = T#<tenant>#PRIVACY``, ``SK = POLICY``, ``body``
(the policy's JSON). Tenant configuration, like prompts: no TTL, not erased with a user."""

from __future__ import annotations

from mastra.privacy.policy import PrivacyPolicy
from mastra.privacy.store import PolicyStore
from mastra.storage.dynamo_table import DynamoTable, _s


def _pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#PRIVACY"


class DynamoDBPolicyStore(DynamoTable, PolicyStore):
    backend = "dynamodb"

    @classmethod
    def sharing(cls, table: DynamoTable) -> DynamoDBPolicyStore:
        return cls(table.table, client=table._client)

    def get_policy(self, tenant_id: str) -> PrivacyPolicy | None:
        item = self._get_item("read a privacy policy", _pk(tenant_id), "POLICY", consistent=True)
        return None if item is None else PrivacyPolicy.model_validate_json(item["body"]["S"])

    def put_policy(self, policy: PrivacyPolicy) -> None:
        with self._errors("store a privacy policy"):
            self.client.put_item(
                TableName=self.table,
                Item={"PK": _s(_pk(policy.tenant_id)), "SK": _s("POLICY"), "body": _s(policy.model_dump_json())},
            )

    def delete_policy(self, tenant_id: str) -> None:
        with self._errors("delete a privacy policy"):
            self.client.delete_item(TableName=self.table, Key={"PK": _s(_pk(tenant_id)), "SK": _s("POLICY")})
