#!/usr/bin/python
# Copyright (c) maestro.docker contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: audit
short_description: Record a deploy step in the ships file's audit trail
version_added: 0.1.0
author: maestro.docker contributors (@maestro-docker)
description:
  - Sends one event (a step starting, succeeding or failing) to every auditor of the ships
    file's C(audit) section, worded as maestro-ng words it, so existing log greps keep working.
  - C(log) auditors append a line (date, level, message, as maestro-ng's log auditor) to a file; C(http) auditors call a
    webhook with a JSON payload template; C(exec) auditors run a script with the instances as JSON
    on standard input (on success only, as maestro-ng).
  - C(hipchat) and C(slack) auditors are skipped with a warning (use an C(http) auditor with an
    incoming webhook instead).
  - Runs on the controller. Set C(ignore_errors) on an auditor to keep a broken webhook from
    stopping a deploy.
options:
  auditors:
    description:
      - The auditor configurations, as in the ships file's C(audit) list (the inventory plugin
        gives it as C(maestro_audit)).
      - Each has C(type) (V(log), V(http), V(exec)), optional C(level) (V(info) or V(debug)) and
        C(ignore_errors); C(log) needs C(file); C(http) needs C(endpoint) and takes C(payload),
        C(headers), C(method) (V(POST) or V(GET)), C(timeout) and C(events) (default V([action]));
        C(exec) needs C(script) and takes C(args).
      - C(endpoint), C(headers) and C(token) are not logged, since they often hold tokens.
      - See the ships file reference for every key; C(slack) and C(hipchat) keys are accepted.
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description: The auditor type.
        type: str
        required: true
      level:
        description: The lowest event level this auditor records.
        type: str
        choices: [info, debug]
        default: info
      ignore_errors:
        description: Turn this auditor's failures into warnings.
        type: bool
        default: false
      file:
        description: The log file, for C(log).
        type: path
      endpoint:
        description: The webhook URL, for C(http).
        type: str
      payload:
        description: A JSON template; string leaves are formatted with C({what}), C({action}), C({who}), C({message}).
        type: raw
      headers:
        description: Extra HTTP headers, for C(http).
        type: dict
      method:
        description: V(POST) or V(GET), for C(http).
        type: str
        default: POST
      timeout:
        description: Seconds to wait for the webhook.
        type: float
        default: 3
      events:
        description: Which events an C(http) auditor sends (maestro-ng sent only V(action)).
        type: list
        elements: str
        choices: [action, success, error]
        default: [action]
      script:
        description: The script, for C(exec).
        type: path
      args:
        description: The script's arguments, formatted with C({action}), C({what}), C({who}).
        type: str
      name:
        description: Accepted for C(slack) and C(hipchat) auditors, which are skipped.
        type: str
      room:
        description: Accepted for C(hipchat) auditors, which are skipped.
        type: str
      channel:
        description: Accepted for C(slack) auditors, which are skipped.
        type: str
      icon:
        description: Accepted for C(slack) auditors, which are skipped.
        type: str
      token:
        description: Accepted for C(slack) and C(hipchat) auditors, which are skipped.
        type: str
  event:
    description: Which moment of the step this is.
    type: str
    choices: [action, success, error]
    required: true
  action:
    description: The verb of the step, for example V(deploy), V(pull), V(start), V(stop).
    type: str
    required: true
  what:
    description:
      - The instances the step acts on, as names or as instance specs (dicts with C(name) and, for
        C(exec) auditors, C(service) and C(ship_ip)).
    type: list
    elements: raw
    required: true
  who:
    description: Who runs the step. Defaults to the user running Ansible on the controller.
    type: str
  cause:
    description: The cause, for O(event=error) (maestro-ng's C(message)).
    type: str
  level:
    description: The level of this event; auditors set to V(info) skip V(debug) events.
    type: str
    choices: [info, debug]
    default: info
extends_documentation_fragment:
  - maestro.docker.attributes
attributes:
  check_mode:
    support: full
    details: In check mode nothing is written, called or run; RV(sent) says what would be.
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Every call records a new event.
"""

EXAMPLES = r"""
- name: Record the start of a deploy
  maestro.docker.audit:
    auditors: "{{ maestro_audit }}"
    event: action
    action: deploy
    what: "{{ maestro_instances }}"
  run_once: true

- name: Record a failure with its cause
  maestro.docker.audit:
    auditors:
      - {type: log, file: /var/log/maestro-audit.log}
      - {type: http, endpoint: "https://hooks.example.com/deploys", events: [action, error], ignore_errors: true}
    event: error
    action: deploy
    what: [web-1, web-2]
    cause: web-1 failed its running checks
"""

RETURN = r"""
sent:
  description: What each auditor recorded or would record, one line each.
  returned: always
  type: list
  elements: str
  sample: ["log /var/log/maestro-audit.log: alice is deploying web-1, web-2."]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.maestro.docker.plugins.module_utils._docker.audit import ARGUMENT_SPEC, run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = run(module.params, check_mode=module.check_mode, open_url=open_url)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):
        module.fail_json(**{k: v for k, v in result.items() if k != "failed"})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
