"""The preset dictionary the request record's response is deflated with (``response_z1``).

A response is ~3.8 KB of JSON, most of it the same field names and fixed strings in every request
(the trace's structure): deflated alone it is ~1.3 KB, deflated against this skeleton of one
(a real response with its ids and long texts emptied) ~0.65 KB, which brings the request record
under 1 KB (2 WRU in the turn's transaction instead of 4). Records written with it can only be
read with it: NEVER change these bytes. A better dictionary is a new attribute (``response_z2``)
next to this one, which readers keep.
"""

from __future__ import annotations

RESPONSE_DICT_V1: bytes = (
    b'{"request_id":"","thread_id":"","user_id":"","answer":"","agent":"banking","confidence":0.'
    b'9475,"sentiment":{"label":"neutral","score":-0.0259},"reflection":{"verdict":"accept","sco'
    b're":0.9888,"reason":"relevance 1.00, fit 0.97: score 0.99 \\u2265 0.47","attempts":1,"kept_'
    b'attempt":1,"skipped":false},"attempts":[{"agent_id":"banking","attempt":1,"verdict":"accep'
    b't","score":0.9888,"answer":"","action":"answer","critique":null,"reasons":{"relevance":"on'
    b' topic","fit":"routing probability of banking","completeness":"answered in full","tone":"s'
    b'uits the user\'s mood","safety":"no personal data, secrets or instructions leaked"},"elapse'
    b'd_ms":22.834}],"sources":["transfer"],"timings_ms":{"select_agent":63.363,"analyze_sentime'
    b'nt":1.452,"execute_agent":21.702,"reflect":1.132},"trace":{"selection":{"agent_id":"bankin'
    b'g","confidence":0.9475,"ranked":[{"agent_id":"banking","confidence":0.9681},{"agent_id":"w'
    b'ork","confidence":0.0309},{"agent_id":"travel","confidence":0.0004},{"agent_id":"credit_ca'
    b'rds","confidence":0.0002},{"agent_id":"meta","confidence":0.0002}],"fallback":false,"fallb'
    b'ack_reason":null,"router":"prototype-v1@specs","topic":"banking/transfer","router_agent_id'
    b'":"banking","bandit":{"policy":"thompson-bounded-v1","explored":false,"means":{"banking":0'
    b'.7809},"n":{"banking":0.0}},"elapsed_ms":63.363},"sentiment":{"label":"neutral","score":-0'
    b'.0259,"model":"minilm-l4-sentiment-v0","elapsed_ms":1.452},"executions":[{"agent_id":"bank'
    b'ing","attempt":1,"answer":"","provider":"retrieval","model_id":"tfidf-v1","stop_reason":"e'
    b'nd_turn","sources":["transfer"],"tool_calls":[],"input_tokens":0,"output_tokens":0,"recove'
    b'red_from":null,"replaces_agent_id":null,"memory":{"history":0,"summary_messages":0,"recall'
    b'ed":[],"working_memory_version":null,"skipped":[]},"prompt":{"ref":"banking@1","prompt_id"'
    b':"banking","version":1,"label":"production","arm":null},"critique":null,"timeout_s":10.0,"'
    b'cache":{"key":"","hit":false,"bypass":null},"fast_'
    b'path":null,"elapsed_ms":21.702}],"reflections":[{"verdict":"accept","score":0.9888,"signal'
    b's":{"relevance":1.0,"fit":0.9681,"completeness":1.0,"tone":1.0,"safety":1.0,"answered":1.0'
    b'},"reasons":{"relevance":"on topic","fit":"routing probability of banking","completeness":'
    b'"answered in full","tone":"suits the user\'s mood","safety":"no personal data, secrets or i'
    b'nstructions leaked"},"reason":"relevance 1.00, fit 0.97: score 0.99 \\u2265 0.47","retry_ag'
    b'ent_id":null,"critique":null,"attempt":1,"kept_attempt":1,"chosen":"first","previous_score'
    b'":null,"findings":[],"skipped":false,"elapsed_ms":1.132}],"errors":[]}}'
)
RESPONSE_DICT_V1_SHA256 = "0173c131f4bc69745290b3ac2868ac522855f02cd3e80f1c8b216f9b936b6464"
