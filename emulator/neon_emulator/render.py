"""JSON shapes of Neon objects, built only when a response is rendered.

Field sets follow the spec schemas (ProjectListItem, Project, Organization,
CurrentUserInfoResponse, MemberWithUser): every required field is present.
Values Neon does not document are plausible constants.
"""

import calendar
import json
import time
from json.encoder import encode_basestring_ascii

from .state import iso

# Shared, never mutated: reusing the same nested objects keeps a 400-item page cheap.
_ENDPOINT_SETTINGS = {
    "autoscaling_limit_min_cu": 0.25,
    "autoscaling_limit_max_cu": 2,
    "suspend_timeout_seconds": 0,
}
_PROJECT_SETTINGS = {
    "allowed_ips": {"ips": [], "protected_branches_only": False},
    "enable_logical_replication": False,
    "maintenance_window": {"weekdays": [5], "start_time": "19:00", "end_time": "20:00"},
    "block_public_connections": False,
    "block_vpc_connections": False,
    "hipaa": False,
}

# BillingSubscriptionType has no plain "free"/"launch"/"scale" members for the
# current plans; map our plan names onto the enum [INFERRED].
_SUBSCRIPTION = {
    "free": "free_v3",
    "launch": "launch_v3",
    "scale": "scale_v3",
    "business": "business",
}
_SUBSCRIPTION_ENUM = frozenset({
    "UNKNOWN", "direct_sales", "direct_sales_v3", "aws_marketplace", "free_v2", "free_v3", "launch",
    "launch_v3", "scale", "scale_v3", "business", "vercel_pg_legacy",
})

_proxy_cache = {}


def subscription_type(plan):
    if plan in _SUBSCRIPTION_ENUM:
        return plan
    return _SUBSCRIPTION.get(plan, "UNKNOWN")


def platform_and_proxy(region):
    """aws-us-east-2 -> ("aws", "us-east-2.aws.neon.tech"), as in the spec example."""
    cached = _proxy_cache.get(region)
    if cached is None:
        platform, _sep, rest = region.partition("-")
        cached = (platform, "%s.%s.neon.tech" % (rest or platform, platform))
        _proxy_cache[region] = cached
    return cached


def owner_id(project):
    # Org projects are owned by the org account, personal ones by the user [INFERRED].
    return project.org_id if project.org_id is not None else project.owner_user_id


def project_list_item(project, org_name):
    platform, proxy = platform_and_proxy(project.region)
    item = {
        "id": project.id,
        "platform_id": platform,
        "region_id": project.region,
        "name": project.name,
        "provisioner": "k8s-neonvm",
        "default_endpoint_settings": _ENDPOINT_SETTINGS,
        "settings": _PROJECT_SETTINGS,
        "pg_version": project.pg_version,
        "proxy_host": proxy,
        "branch_logical_size_limit": 0,
        "branch_logical_size_limit_bytes": 0,
        "store_passwords": True,
        "active_time": 0,
        "cpu_used_sec": 0,
        "creation_source": "console",
        "created_at": iso(project.created),
        "updated_at": iso(project.updated),
        "synthetic_storage_size": 0,
        "history_retention_seconds": 86400,
        "owner_id": owner_id(project),
    }
    if project.org_id is not None:
        item["org_id"] = project.org_id
        item["org_name"] = org_name
    if project.deleted_at is not None:
        item["deleted_at"] = iso(project.deleted_at)
        item["recoverable_until"] = iso(project.deleted_at + 7 * 86400)
    return item


_json = json.dumps
_SETTINGS_JSON = _json(_ENDPOINT_SETTINGS, separators=(",", ":"))
_PROJECT_SETTINGS_JSON = _json(_PROJECT_SETTINGS, separators=(",", ":"))
# Same keys, order and values as project_list_item(), written as text: a
# 400-item page is encoded several times faster than through json.dumps of
# dicts, which matters for 100,000-project benchmarks. A test keeps both equal.
_ITEM_HEAD = ('{"id":"%s","platform_id":%s,"region_id":%s,"name":%s,"provisioner":"k8s-neonvm",'
              '"default_endpoint_settings":' + _SETTINGS_JSON + ',"settings":' + _PROJECT_SETTINGS_JSON +
              ',"pg_version":%d,"proxy_host":%s,"branch_logical_size_limit":0,'
              '"branch_logical_size_limit_bytes":0,"store_passwords":true,"active_time":0,"cpu_used_sec":0,'
              '"creation_source":"console","created_at":"%s","updated_at":"%s","synthetic_storage_size":0,'
              '"history_retention_seconds":86400,"owner_id":%s')
# The template cut at its 9 fields: joining the pieces is twice as fast as `%`
# on the long template, which must scan all of it for each item.
_ITEM_PIECES = [piece if i == 0 else piece[1:] for i, piece in enumerate(_ITEM_HEAD.split("%"))]
_region_json = {}
_day_prefix = {}
_HOUR_MINUTE = ["%02d:%02d:" % divmod(minute, 60) for minute in range(1440)]
_SECOND = ["%02dZ" % second for second in range(60)]


def _value_json(value):
    # For a str, json.dumps() ends in encode_basestring_ascii; calling it directly skips the encoder set-up.
    return encode_basestring_ascii(value) if isinstance(value, str) else _json(value)


def _iso(ts):
    """iso(ts) from lookup tables (date part cached per day): strftime was a third of a fresh item's cost."""
    if not isinstance(ts, int) or isinstance(ts, bool):
        return iso(ts)
    day, second = divmod(ts, 86400)
    prefix = _day_prefix.get(day)
    if prefix is None:
        prefix = _day_prefix[day] = iso(day * 86400)[:-9]  # drop "00:00:00Z"
    minute, second = divmod(second, 60)
    return prefix + _HOUR_MINUTE[minute] + _SECOND[second]


def project_list_item_json(project, org_name_json):
    """project_list_item() as compact JSON text; org_name_json is json.dumps(org name)."""
    region = project.region
    cached = _region_json.get(region)
    if cached is None:
        platform, proxy = platform_and_proxy(region)
        cached = _region_json[region] = (_json(platform), _json(region), _json(proxy))
    created = _iso(project.created)
    updated = created if project.updated == project.created else _iso(project.updated)
    p = _ITEM_PIECES
    text = [p[0], project.id, p[1], cached[0], p[2], cached[1], p[3], _value_json(project.name),
            p[4], "%d" % project.pg_version, p[5], cached[2], p[6], created, p[7], updated,
            p[8], _value_json(owner_id(project))]
    if project.org_id is not None:
        text += (',"org_id":"', project.org_id, '","org_name":', org_name_json)
    if project.deleted_at is not None:
        text += (',"deleted_at":"', _iso(project.deleted_at),
                 '","recoverable_until":"', _iso(project.deleted_at + 7 * 86400), '"')
    text.append("}")
    return "".join(text)


def project_list_item_bytes(project, org_name_json):
    """project_list_item_json() as UTF-8, kept on the project until State changes it.

    A page of 400 is then a join of cached bytes: re-reading a listing (polling,
    verifying after a transfer) costs no rendering. org_name_json is only read on
    a miss; org names never change at run time.
    """
    item = project.list_json
    if item is None:
        item = project.list_json = project_list_item_json(project, org_name_json).encode("utf-8")
    return item


def _period(now):
    tm = time.gmtime(now)
    start = calendar.timegm((tm.tm_year, tm.tm_mon, 1, 0, 0, 0))
    year, month = (tm.tm_year + 1, 1) if tm.tm_mon == 12 else (tm.tm_year, tm.tm_mon + 1)
    end = calendar.timegm((year, month, 1, 0, 0, 0))
    return iso(start), iso(end)


def project_detail(project, owner_email, owner_name, plan):
    # The list item's fields, less those only the listing has, plus the consumption and owner data of Project.
    detail = project_list_item(project, None)
    for key in ("active_time", "org_name", "deleted_at", "recoverable_until"):
        detail.pop(key, None)
    start, end = _period(time.time())
    detail.update({
        "consumption_period_start": start,
        "consumption_period_end": end,
        "active_time_seconds": 0,
        "compute_time_seconds": 0,
        "written_data_bytes": 0,
        "data_transfer_bytes": 0,
        "data_storage_bytes_hour": 0,
        "owner": {
            "email": owner_email,
            "name": owner_name,
            "branches_limit": 5000,
            "subscription_type": subscription_type(plan),
        },
    })
    return detail


def organization(org):
    return {
        "id": org.id,
        "name": org.name,
        "handle": org.handle,
        "plan": org.plan,
        "managed_by": org.managed_by,
        "created_at": iso(org.created_at),
        "updated_at": iso(org.updated_at),
        "require_mfa": False,
    }


def member(org, membership, user):
    return {
        "member": {
            "id": membership.id,
            "user_id": membership.user_id,
            "org_id": org.id,
            "role": membership.role,
            "joined_at": iso(membership.joined_at),
        },
        "user": {"email": user.email, "has_mfa": False},
    }


def current_user(user, projects_limit):
    login = user.email.split("@", 1)[0]
    return {
        "active_seconds_limit": 360000,
        "id": user.id,
        "email": user.email,
        "login": login,
        "name": user.name,
        "last_name": user.last_name,
        "image": "",
        "projects_limit": projects_limit,
        "branches_limit": 10,
        "max_autoscaling_limit": 2.0,
        "auth_accounts": [{
            "provider": "keycloak",
            "email": user.email,
            "name": user.name,
            "login": login,
            "image": "",
        }],
        "plan": user.plan,
        "billing_account": {
            "state": "active",
            "payment_source": {"type": "none"},
            "subscription_type": subscription_type(user.plan),
            "payment_method": "none",
            "quota_reset_at_last": iso(user.created_at),
            "name": ("%s %s" % (user.name, user.last_name)).strip(),
            "email": user.email,
            "address_city": "",
            "address_country": "",
            "address_line1": "",
            "address_line2": "",
            "address_postal_code": "",
            "address_state": "",
        },
    }
