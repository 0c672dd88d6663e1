#!/usr/bin/env python3
"""A fixed, sequential client for counting instructions per request.

drive.py PORT CONVERSATIONS

Holds CONVERSATIONS conversations one after another on one keep-alive
connection, as bench/http/conversation.lua does under wrk: create, then the
same ten messages. Every request must succeed. Used by instructions.sh.
"""
import http.client
import json
import pathlib
import re
import sys


def messages():
    """The messages of conversation.lua, so that both clients say the same."""
    lua = pathlib.Path(__file__).with_name("conversation.lua").read_text()
    table = re.search(r"local messages = \{(.*?)\n\}", lua, re.S).group(1)
    return re.findall(r'^\s*"(.*)",\s*$', table, re.M)


def request(connection, path, body, headers):
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.status not in (200, 201):
        sys.exit(f"drive.py: {path} answered {response.status}")
    return data


def main():
    port, conversations = int(sys.argv[1]), int(sys.argv[2])
    texts = messages()
    if not texts:
        sys.exit("drive.py: no messages found in conversation.lua")
    connection = http.client.HTTPConnection("127.0.0.1", port)
    json_type = {"Content-Type": "application/json"}
    for _ in range(conversations):
        created = json.loads(request(connection, "/v1/conversations", "{}",
                                     json_type))
        # The minimal server answers with fixed, made-up ids: any id works.
        path = f"/v1/conversations/{created['id']}/messages"
        headers = dict(json_type, Authorization=f"Bearer {created['token']}")
        for text in texts:
            body = json.dumps({"text": text}, separators=(",", ":"))
            request(connection, path, body, headers)


if __name__ == "__main__":
    main()
