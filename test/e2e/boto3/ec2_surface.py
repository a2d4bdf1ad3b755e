#!/usr/bin/python3
"""Issue 8: a boto3 script, as a user would write one, calling every action of the EC2 surface
around security groups against `sgfw serve`. It asserts on what boto3 parsed, runs every check even
after one fails, prints one JSON line per check ({"check", "ok", "error"}) and exits 1 if any failed.

Environment: SGFW_ENDPOINT (http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
"""
import json
import os
import sys
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["SGFW_ENDPOINT"]
REGION = "us-east-1"
# One attempt: an error that botocore would retry (5xx, InternalError) must show up here, not be
# hidden behind minutes of backoff.
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=15)

ec2 = boto3.client("ec2", endpoint_url=ENDPOINT, region_name=REGION, config=CONFIG)
sts = boto3.client("sts", endpoint_url=ENDPOINT, region_name=REGION, config=CONFIG)

results = []
state = {}


def check(fn):
    name = fn.__name__
    try:
        fn()
        results.append({"check": name, "ok": True})
    except Exception as e:  # noqa: BLE001 — every failure becomes a report line
        results.append({"check": name, "ok": False, "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc(limit=3)})
    return fn


def client_error(call, **kwargs):
    """Runs call, expecting a ClientError; returns (code, message, http status)."""
    try:
        call(**kwargs)
    except ClientError as e:
        err = e.response["Error"]
        return err.get("Code"), err.get("Message"), e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{call.__name__} succeeded, expected an error")


def eq(actual, expected, what):
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def group(group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


@check
def sts_caller_identity_is_the_group_owner():
    ident = sts.get_caller_identity()
    assert ident["Account"].isdigit() and len(ident["Account"]) == 12, ident
    assert ident["Arn"].startswith("arn:aws:"), ident
    state["account"] = ident["Account"]


@check
def create_vpc_with_tags_creates_its_default_group():
    vpc = ec2.create_vpc(
        CidrBlock="10.20.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "boto3-vpc"}, {"Key": "env", "Value": "test"}]}],
    )["Vpc"]
    assert vpc["VpcId"].startswith("vpc-"), vpc
    eq(vpc["CidrBlock"], "10.20.0.0/16", "CidrBlock")
    state["vpc"] = vpc["VpcId"]
    got = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
    eq(len(got), 1, "DescribeVpcs by id")
    eq(tags_of(got[0]), {"Name": "boto3-vpc", "env": "test"}, "VPC tags from TagSpecifications")
    defaults = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    eq(len(defaults), 1, "the new VPC's default group")
    state["vpc_default"] = defaults[0]["GroupId"]
    by_tag = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["boto3-vpc"]}])["Vpcs"]
    eq([v["VpcId"] for v in by_tag], [vpc["VpcId"]], "DescribeVpcs tag:Name filter")


@check
def create_security_group_with_tag_specifications():
    r = ec2.create_security_group(
        GroupName="boto3-web",
        Description="web tier",
        VpcId=state["vpc"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "role", "Value": "web"}]}],
    )
    state["web"] = r["GroupId"]
    assert r["GroupId"].startswith("sg-"), r
    eq(tags_of(r), {"role": "web"}, "CreateSecurityGroup response Tags")
    g = group(r["GroupId"])
    eq(g["OwnerId"], state["account"], "OwnerId is the STS account")
    eq(g["VpcId"], state["vpc"], "VpcId")
    eq(tags_of(g), {"role": "web"}, "described Tags")
    eq(g["IpPermissions"], [], "no ingress on a new group")
    # a new group shows its allow-all egress rule at once; protocol -1 has no ports
    eq(g["IpPermissionsEgress"], [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}], "default egress")
    state["app"] = ec2.create_security_group(GroupName="boto3-app", Description="app tier", VpcId=state["vpc"])["GroupId"]


@check
def authorize_with_descriptions_and_describe_as_ec2_shapes_it():
    ec2.authorize_security_group_ingress(
        GroupId=state["web"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}], "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "https v6"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
        ],
    )
    r = ec2.authorize_security_group_ingress(
        GroupId=state["app"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": state["web"], "Description": "from web"}]}],
    )
    assert r.get("Return") is True, r
    rules = r.get("SecurityGroupRules", [])
    eq(len(rules), 1, "SecurityGroupRules in the Authorize response")
    assert rules[0]["SecurityGroupRuleId"].startswith("sgr-"), rules
    g = group(state["web"])
    perms = {p["FromPort"]: p for p in g["IpPermissions"]}
    eq(sorted(perms), [22, 443], "ingress ports")
    eq(perms[443]["IpProtocol"], "tcp", "protocol name comes back as sent")
    eq(perms[443]["IpRanges"], [{"CidrIp": "0.0.0.0/0", "Description": "https"}], "IPv4 range with description")
    eq(perms[443]["Ipv6Ranges"], [{"CidrIpv6": "::/0", "Description": "https v6"}], "IPv6 range with description")
    # an empty description is left out, not ""
    eq(perms[22]["IpRanges"], [{"CidrIp": "203.0.113.0/24"}], "range without description")
    app = group(state["app"])
    eq(len(app["IpPermissions"]), 1, "app ingress")
    pair = app["IpPermissions"][0]["UserIdGroupPairs"]
    eq(pair, [{"Description": "from web", "GroupId": state["web"], "UserId": state["account"]}], "group pair carries UserId")


@check
def revoke_matches_the_permission_ignoring_the_description():
    r = ec2.revoke_security_group_ingress(
        GroupId=state["web"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "something else"}]}],
    )
    assert r.get("Return") is True, r
    assert not r.get("UnknownIpPermissions"), r
    g = group(state["web"])
    perms = {p["FromPort"]: p for p in g["IpPermissions"]}
    eq(perms[443].get("IpRanges"), [], "IPv4 range revoked")
    eq(perms[443]["Ipv6Ranges"], [{"CidrIpv6": "::/0", "Description": "https v6"}], "IPv6 range kept")


@check
def describe_security_group_rules_and_modify_by_rule_id():
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [state["web"]]}])["SecurityGroupRules"]
    ssh = [r for r in rules if not r["IsEgress"] and r.get("FromPort") == 22]
    eq(len(ssh), 1, "the ssh rule")
    rule_id = ssh[0]["SecurityGroupRuleId"]
    r = ec2.modify_security_group_rules(
        GroupId=state["web"],
        SecurityGroupRules=[{"SecurityGroupRuleId": rule_id, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "198.51.100.0/24", "Description": "ssh alt"}}],
    )
    assert r.get("Return") is True, r
    after = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"]
    eq(len(after), 1, "modified rule keeps its id")
    eq((after[0]["FromPort"], after[0]["ToPort"], after[0]["CidrIpv4"], after[0].get("Description")), (2222, 2222, "198.51.100.0/24", "ssh alt"), "modified rule")
    ports = sorted(p.get("FromPort") for p in group(state["web"])["IpPermissions"])
    eq(ports, [443, 2222], "ingress after modify")


@check
def create_describe_delete_tags_with_filters():
    ec2.create_tags(Resources=[state["web"], state["app"]], Tags=[{"Key": "team", "Value": "blue"}, {"Key": "flag", "Value": ""}])
    got = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [state["web"]]}])["Tags"]
    eq(sorted((t["Key"], t["Value"]) for t in got), [("flag", ""), ("role", "web"), ("team", "blue")], "DescribeTags of web")
    for t in got:
        eq(t["ResourceType"], "security-group", "ResourceType")
    by_tag = ec2.describe_security_groups(Filters=[{"Name": "tag:team", "Values": ["blue"]}])["SecurityGroups"]
    eq(sorted(g["GroupId"] for g in by_tag), sorted([state["web"], state["app"]]), "tag:team filter")
    by_key = ec2.describe_security_groups(Filters=[{"Name": "tag-key", "Values": ["role"]}])["SecurityGroups"]
    eq([g["GroupId"] for g in by_key], [state["web"]], "tag-key filter")
    # DeleteTags with a value deletes only a matching tag; without one, any value
    ec2.delete_tags(Resources=[state["web"]], Tags=[{"Key": "team", "Value": "red"}, {"Key": "flag"}])
    eq(tags_of(group(state["web"])), {"role": "web", "team": "blue"}, "tags after DeleteTags")
    ec2.delete_tags(Resources=[state["app"]], Tags=[{"Key": "team"}])
    by_tag = ec2.describe_security_groups(Filters=[{"Name": "tag:team", "Values": ["blue"]}])["SecurityGroups"]
    eq([g["GroupId"] for g in by_tag], [state["web"]], "tag:team filter after DeleteTags")


@check
def describe_security_groups_filters():
    def ids(*filters):
        return sorted(g["GroupId"] for g in ec2.describe_security_groups(Filters=list(filters))["SecurityGroups"])

    eq(ids({"Name": "vpc-id", "Values": [state["vpc"]]}), sorted([state["web"], state["app"], state["vpc_default"]]), "vpc-id")
    eq(ids({"Name": "group-name", "Values": ["boto3-web"]}), [state["web"]], "group-name")
    eq(ids({"Name": "group-id", "Values": [state["app"]]}), [state["app"]], "group-id")
    eq(ids({"Name": "description", "Values": ["app tier"]}), [state["app"]], "description")
    eq(ids({"Name": "owner-id", "Values": [state["account"]]}, {"Name": "vpc-id", "Values": [state["vpc"]]}), sorted([state["web"], state["app"], state["vpc_default"]]), "owner-id")
    eq(ids({"Name": "ip-permission.from-port", "Values": ["2222"]}), [state["web"]], "ip-permission.from-port")
    eq(ids({"Name": "ip-permission.ipv6-cidr", "Values": ["::/0"]}), [state["web"]], "ip-permission.ipv6-cidr")
    eq(ids({"Name": "ip-permission.group-id", "Values": [state["web"]]}), [state["app"]], "ip-permission.group-id")
    eq(ids({"Name": "ip-permission.protocol", "Values": ["tcp"]}, {"Name": "vpc-id", "Values": [state["vpc"]]}), sorted([state["web"], state["app"]]), "ip-permission.protocol")
    eq(ids({"Name": "egress.ip-permission.cidr", "Values": ["0.0.0.0/0"]}, {"Name": "vpc-id", "Values": [state["vpc"]]}), sorted([state["web"], state["app"], state["vpc_default"]]), "egress.ip-permission.cidr")


@check
def describe_prefix_lists_has_the_regions_aws_managed_lists():
    lists = ec2.describe_prefix_lists()["PrefixLists"]
    names = {p["PrefixListName"]: p for p in lists}
    assert f"com.amazonaws.{REGION}.s3" in names, sorted(names)
    assert f"com.amazonaws.{REGION}.dynamodb" in names, sorted(names)
    s3 = names[f"com.amazonaws.{REGION}.s3"]
    assert s3["PrefixListId"].startswith("pl-"), s3
    assert len(s3["Cidrs"]) > 0, s3
    only = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}])["PrefixLists"]
    eq([p["PrefixListId"] for p in only], [s3["PrefixListId"]], "prefix-list-name filter")
    by_id = ec2.describe_prefix_lists(PrefixListIds=[s3["PrefixListId"]])["PrefixLists"]
    eq([p["PrefixListName"] for p in by_id], [s3["PrefixListName"]], "by PrefixListIds")
    # a rule can reference it, as for an S3 gateway endpoint
    ec2.authorize_security_group_egress(GroupId=state["app"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": s3["PrefixListId"], "Description": "to s3"}]}])
    egress = group(state["app"])["IpPermissionsEgress"]
    pl = [p for p in egress if p["IpProtocol"] == "tcp"]
    eq(pl[0]["PrefixListIds"], [{"Description": "to s3", "PrefixListId": s3["PrefixListId"]}], "egress prefix-list rule")


@check
def dry_run_answers_dry_run_operation_or_the_real_error():
    code, msg, status = client_error(ec2.create_security_group, GroupName="boto3-dry", Description="d", VpcId=state["vpc"], DryRun=True)
    eq((code, status), ("DryRunOperation", 412), "DryRun of a valid create")
    none = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["boto3-dry"]}])["SecurityGroups"]
    eq(none, [], "DryRun created nothing")
    code, _, status = client_error(ec2.authorize_security_group_ingress, GroupId=state["web"], DryRun=True, IpPermissions=[{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    eq((code, status), ("DryRunOperation", 412), "DryRun of a valid authorize")
    code, _, _ = client_error(ec2.describe_vpcs, DryRun=True)
    eq(code, "DryRunOperation", "DryRun of a describe")
    code, _, _ = client_error(ec2.delete_security_group, GroupId="sg-0123456789abcdef0", DryRun=True)
    eq(code, "InvalidGroup.NotFound", "DryRun of a call that would fail answers the real error")
    code, _, _ = client_error(ec2.create_tags, Resources=[state["web"]], Tags=[{"Key": "dry", "Value": "1"}], DryRun=True)
    eq(code, "DryRunOperation", "DryRun of CreateTags")
    assert "dry" not in tags_of(group(state["web"])), "DryRun CreateTags changed nothing"


@check
def malformed_id_versus_unknown_id():
    code, msg, status = client_error(ec2.describe_security_groups, GroupIds=["x"])
    eq(code, "InvalidGroupId.Malformed", "malformed id code")
    eq(msg, "The security group ID 'x' is malformed", "malformed id message")
    eq(status, 400, "malformed id status")
    code, _, status = client_error(ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"])
    eq((code, status), ("InvalidGroup.NotFound", 400), "unknown id")
    code, _, _ = client_error(ec2.delete_security_group, GroupId="sg-nothex")
    eq(code, "InvalidGroupId.Malformed", "non-hex id on delete")


@check
def an_unimplemented_action_is_invalid_action_400():
    code, _, status = client_error(ec2.describe_instances)
    eq((code, status), ("InvalidAction", 400), "DescribeInstances")
    code, _, status = client_error(ec2.describe_route_tables)
    eq((code, status), ("InvalidAction", 400), "DescribeRouteTables")


@check
def any_region_and_short_vpc_ids_are_accepted():
    other = boto3.client("ec2", endpoint_url=ENDPOINT, region_name="eu-west-3", config=CONFIG)
    r = other.create_security_group(GroupName="boto3-short-vpc", Description="short vpc id", VpcId="vpc-12345")
    state["short"] = r["GroupId"]
    g = other.describe_security_groups(GroupIds=[r["GroupId"]])["SecurityGroups"][0]
    eq(g["VpcId"], "vpc-12345", "short VpcId")
    other.delete_security_group(GroupId=r["GroupId"])


@check
def delete_vpc_in_use_is_refused_then_succeeds():
    code, _, status = client_error(ec2.delete_vpc, VpcId=state["vpc"])
    eq(code, "DependencyViolation", "DeleteVpc with groups in it")
    eq(status, 400, "DeleteVpc refusal status")
    # app references web: web cannot go first
    code, _, _ = client_error(ec2.delete_security_group, GroupId=state["web"])
    eq(code, "DependencyViolation", "deleting a referenced group")
    ec2.delete_security_group(GroupId=state["app"])
    ec2.delete_security_group(GroupId=state["web"])
    ec2.delete_vpc(VpcId=state["vpc"])
    eq(ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [state["vpc"]]}])["Vpcs"], [], "VPC gone")
    code, _, _ = client_error(ec2.describe_security_groups, GroupIds=[state["vpc_default"]])
    eq(code, "InvalidGroup.NotFound", "the VPC's default group went with it")


def walk(name, key, **kwargs):
    """Every item a boto3 paginator yields with 5 per page, and the number of pages it fetched."""
    items, pages = [], 0
    for page in ec2.get_paginator(name).paginate(PaginationConfig={"PageSize": 5}, **kwargs):
        items.extend(page[key])
        pages += 1
    return items, pages


@check
def paginators_walk_every_describe_action():
    vpc = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    made = []
    for i in range(11):
        made.append(ec2.create_security_group(
            GroupName=f"boto3-paged-{i}", Description="paged", VpcId=vpc,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "paged", "Value": str(i)}]}],
        )["GroupId"])
    everything = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    groups, pages = walk("describe_security_groups", "SecurityGroups")
    eq(sorted(g["GroupId"] for g in groups), sorted(everything), "paged groups are all the groups, each once")
    assert pages >= 3, f"{len(everything)} groups in pages of 5 took {pages} pages"
    in_vpc, _ = walk("describe_security_groups", "SecurityGroups", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    eq(len(in_vpc), 12, "filtered pages: the 11 groups and the VPC's default group")
    rules, _ = walk("describe_security_group_rules", "SecurityGroupRules", Filters=[{"Name": "group-id", "Values": made}])
    eq(len(rules), 11, "one egress rule per new group")
    assert all(r["Tags"] == [] for r in rules), "DescribeSecurityGroupRules prints Tags: [] on untagged rules"
    tags, _ = walk("describe_tags", "Tags", Filters=[{"Name": "key", "Values": ["paged"]}])
    eq(sorted(t["ResourceId"] for t in tags), sorted(made), "paged tags")
    vpcs, _ = walk("describe_vpcs", "Vpcs")
    eq(len(vpcs), len(ec2.describe_vpcs()["Vpcs"]), "paged VPCs")
    lists, _ = walk("describe_prefix_lists", "PrefixLists")
    assert any(p["PrefixListName"] == "com.amazonaws.us-east-1.s3" for p in lists), lists
    first = ec2.describe_security_groups(MaxResults=5)
    eq(len(first["SecurityGroups"]), 5, "MaxResults=5")
    nxt = ec2.describe_security_groups(MaxResults=5, NextToken=first["NextToken"])
    assert not {g["GroupId"] for g in first["SecurityGroups"]} & {g["GroupId"] for g in nxt["SecurityGroups"]}, "pages overlap"
    code, msg, status = client_error(ec2.describe_security_groups, NextToken="bogus")
    eq((code, status), ("InvalidParameterValue", 400), "a token sgfw never issued")
    eq(msg, "Value ( bogus ) for parameter NextToken is invalid. The token is invalid.", "bad token message")
    for g in made:
        ec2.delete_security_group(GroupId=g)
    ec2.delete_vpc(VpcId=vpc)


@check
def malformed_ids_in_filters_are_refused_with_their_kinds_code():
    # Issue 17: EC2 refuses a malformed id in a filter rather than matching nothing.
    for call, kwargs, want in [
        (ec2.describe_security_group_rules, {"Filters": [{"Name": "group-id", "Values": ["foobar"]}]},
         ("InvalidGroupId.Malformed", "The security group ID 'foobar' is malformed")),
        (ec2.describe_security_group_rules, {"Filters": [{"Name": "security-group-rule-id", "Values": ["r1"]}]},
         ("InvalidSecurityGroupRuleId.Malformed", "The security group rule ID 'r1' is malformed")),
        (ec2.describe_network_interfaces, {"Filters": [{"Name": "network-interface-id", "Values": ["eth0"]}]},
         ("InvalidNetworkInterfaceId.Malformed", "The networkInterface ID 'eth0' is malformed")),
        (ec2.describe_managed_prefix_lists, {"Filters": [{"Name": "prefix-list-id", "Values": ["office"]}]},
         ("InvalidPrefixListId.Malformed", "The prefix list ID 'office' is malformed")),
        (ec2.describe_vpcs, {"Filters": [{"Name": "vpc-id", "Values": ["main"]}]},
         ("InvalidVpcId.Malformed", "The vpc ID 'main' is malformed")),
    ]:
        code, msg, status = client_error(call, **kwargs)
        eq((code, msg, status), want + (400,), f"{call.__name__} {kwargs}")


@check
def create_vpc_takes_a_cidr_in_its_canonical_form():
    vpc = ec2.create_vpc(CidrBlock="100.68.0.18/18")["Vpc"]
    eq(vpc["CidrBlock"], "100.68.0.0/18", "CreateVpc's CIDR with host bits set")
    ec2.delete_vpc(VpcId=vpc["VpcId"])


@check
def aws_managed_prefix_lists_are_owned_by_aws():
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
    eq(sorted(p["PrefixListName"] for p in lists), ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"], "AWS-owned lists")
    for p in lists:
        eq(p["OwnerId"], "AWS", "OwnerId of an AWS-managed list")
        eq(p["PrefixListArn"], f"arn:aws:ec2:us-east-1:aws:prefix-list/{p['PrefixListId']}", "its ARN")
    code, _, _ = client_error(ec2.delete_managed_prefix_list, PrefixListId=lists[0]["PrefixListId"])
    eq(code, "UnauthorizedOperation", "deleting an AWS-managed list")


@check
def modify_security_group_rules_answers_ec2s_codes_for_an_incomplete_rule():
    gid = ec2.create_security_group(GroupName="boto3-modify-errors", Description="m")["GroupId"]
    rule = ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    for body, want in [
        ({"FromPort": 22, "ToPort": 22, "CidrIpv4": "10.0.0.0/8"},
         ("InvalidParameterValue", "Invalid value 'null' for protocol. VPC security group rules must specify protocols explicitly.")),
        ({"IpProtocol": "tcp", "FromPort": 22, "CidrIpv4": "10.0.0.0/8"},
         ("InvalidParameterValue", "Invalid value for portRange. Must specify both from and to ports with TCP/UDP.")),
        ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22},
         ("MissingParameter", "The request must contain exactly one of: cidrIp, cidrIpv6, prefixListId, or referencedGroupId")),
    ]:
        code, msg, _ = client_error(ec2.modify_security_group_rules, GroupId=gid,
                                    SecurityGroupRules=[{"SecurityGroupRuleId": rule, "SecurityGroupRule": body}])
        eq((code, msg), want, f"modify with {body}")
    ec2.delete_security_group(GroupId=gid)


@check
def quotas_answer_ec2s_codes_and_words():
    gid = ec2.create_security_group(GroupName="boto3-quota", Description="q")["GroupId"]
    v4 = [{"CidrIp": f"10.1.{i}.0/24"} for i in range(60)]
    v6 = [{"CidrIpv6": f"2001:db8:{i:x}::/48"} for i in range(60)]
    # the quota (60) holds for IPv4 and IPv6 rules separately, as the VPC guide says
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": v4, "Ipv6Ranges": v6}])
    code, msg, status = client_error(ec2.authorize_security_group_ingress, GroupId=gid,
                                     IpPermissions=[{"IpProtocol": "tcp", "FromPort": 23, "ToPort": 23, "IpRanges": [{"CidrIp": "10.2.0.0/16"}]}])
    eq((code, msg, status), ("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.", 400), "the 61st IPv4 rule")
    ec2.delete_security_group(GroupId=gid)
    code, msg, _ = client_error(ec2.create_managed_prefix_list, PrefixListName="boto3-big", AddressFamily="IPv4", MaxEntries=1001)
    eq((code, msg), ("InvalidParameterValue", "Must specify a max size between 1 and 1000"), "MaxEntries 1001")
    entries = [{"Cidr": f"10.3.{i}.0/24"} for i in range(101)]
    code, msg, _ = client_error(ec2.create_managed_prefix_list, PrefixListName="boto3-many", AddressFamily="IPv4", MaxEntries=200, Entries=entries)
    eq((code, msg), ("InvalidParameterValue", "The number of entries per request cannot exceeds limit (100)."), "101 entries in one request")


@check
def parameters_sgfw_does_not_carry_out_are_refused():
    code, msg, status = client_error(ec2.create_vpc, CidrBlock="10.9.0.0/16", Ipv6CidrBlock="2001:db8:9::/56")
    eq((code, status), ("UnsupportedOperation", 400), "CreateVpc with Ipv6CidrBlock")
    assert "Ipv6CidrBlock" in msg, msg
    eq([v for v in ec2.describe_vpcs()["Vpcs"] if v.get("CidrBlock") == "10.9.0.0/16"], [], "no VPC made")


@check
def subnets_answer_ec2s_fields_errors_and_filters():
    # Issue 17: CreateSubnet / DescribeSubnets / DeleteSubnet as EC2 answers them.
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1b",
                            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "web"}]}])["Subnet"]
    eq((sub["CidrBlock"], sub["VpcId"], sub["AvailabilityZone"], sub["AvailableIpAddressCount"], sub["State"]),
       ("10.40.1.0/24", vpc, "us-east-1b", 251, "available"), "CreateSubnet's answer")
    eq(tags_of(sub), {"Name": "web"}, "its tags")
    eq(sub["SubnetArn"], f"arn:aws:ec2:us-east-1:123456789012:subnet/{sub['SubnetId']}", "its ARN")
    for kwargs, want in [
        ({"VpcId": vpc, "CidrBlock": "10.41.0.0/24"}, ("InvalidSubnet.Range", "The CIDR '10.41.0.0/24' is invalid.")),
        ({"VpcId": vpc, "CidrBlock": "10.40.0.0/29"}, ("InvalidSubnet.Range", "The CIDR '10.40.0.0/29' is invalid.")),
        ({"VpcId": vpc, "CidrBlock": "10.40.1.128/25"}, ("InvalidSubnet.Conflict", "The CIDR '10.40.1.128/25' conflicts with another subnet")),
        ({"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.40.2.0/24"}, ("InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")),
    ]:
        code, msg, status = client_error(ec2.create_subnet, **kwargs)
        eq((code, msg, status), want + (400,), f"create_subnet {kwargs}")
    by = lambda f: [x["SubnetId"] for x in ec2.describe_subnets(Filters=f)["Subnets"]]  # noqa: E731
    eq(by([{"Name": "vpc-id", "Values": [vpc]}]), [sub["SubnetId"]], "vpc-id filter")
    eq(by([{"Name": "cidr-block", "Values": ["10.40.1.0/24"]}]), [sub["SubnetId"]], "cidr-block filter")
    eq(by([{"Name": "tag:Name", "Values": ["web"]}]), [sub["SubnetId"]], "tag: filter")
    code, _, _ = client_error(ec2.describe_subnets, SubnetIds=["subnet-0123456789abcdef0"])
    eq(code, "InvalidSubnetID.NotFound", "an unknown subnet")
    code, _, _ = client_error(ec2.describe_subnets, Filters=[{"Name": "subnet-id", "Values": ["web"]}])
    eq(code, "InvalidSubnetID.Malformed", "a malformed subnet id in a filter")
    pages = list(ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    eq(sum(len(p["Subnets"]) for p in pages), 1, "the paginator")
    eni = ec2.create_network_interface(SubnetId=sub["SubnetId"])["NetworkInterface"]["NetworkInterfaceId"]
    code, msg, _ = client_error(ec2.delete_subnet, SubnetId=sub["SubnetId"])
    eq((code, msg), ("DependencyViolation", f"The subnet '{sub['SubnetId']}' has dependencies and cannot be deleted."), "a subnet in use")
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=sub["SubnetId"])
    ec2.delete_vpc(VpcId=vpc)


@check
def create_network_interface_draws_addresses_from_its_subnet():
    # Issue 17: the lowest free addresses past the four reserved ones; EC2's errors.
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/28")["Subnet"]["SubnetId"]
    web = ec2.create_security_group(GroupName="boto3-eni-web", Description="w", VpcId=vpc)["GroupId"]
    a = ec2.create_network_interface(SubnetId=sub, Groups=[web], Description="web 1", SecondaryPrivateIpAddressCount=1)["NetworkInterface"]
    eq([(x["PrivateIpAddress"], x["Primary"]) for x in a["PrivateIpAddresses"]], [("10.42.1.4", True), ("10.42.1.5", False)], "drawn addresses")
    eq((a["SubnetId"], a["VpcId"], a["Status"], a["InterfaceType"], a["OwnerId"], a["Description"]),
       (sub, vpc, "available", "interface", "123456789012", "web 1"), "CreateNetworkInterface's answer")
    eq([g["GroupId"] for g in a["Groups"]], [web], "its groups")
    b = ec2.create_network_interface(SubnetId=sub)["NetworkInterface"]
    eq(b["PrivateIpAddress"], "10.42.1.6", "the next free address")
    eq([g["GroupName"] for g in b["Groups"]], ["default"], "no groups: the VPC's default group")
    for kwargs, want in [
        ({"SubnetId": sub, "PrivateIpAddress": "10.42.1.4"}, "InvalidIPAddress.InUse"),
        ({"SubnetId": sub, "PrivateIpAddress": "10.42.2.4"}, "InvalidParameterValue"),
        ({"SubnetId": sub, "PrivateIpAddress": "10.42.1.1"}, "InvalidParameterValue"),
        ({"SubnetId": sub, "SecondaryPrivateIpAddressCount": 60}, "PrivateIpAddressLimitExceeded"),
        ({"SubnetId": "subnet-0123456789abcdef0"}, "InvalidSubnetID.NotFound"),
        ({"SubnetId": sub, "Ipv6AddressCount": 1}, "InvalidParameterValue"),
    ]:
        code, _, status = client_error(ec2.create_network_interface, **kwargs)
        eq((code, status), (want, 400), f"create_network_interface {kwargs}")
    got = ec2.assign_private_ip_addresses(NetworkInterfaceId=a["NetworkInterfaceId"], SecondaryPrivateIpAddressCount=2)
    eq([x["PrivateIpAddress"] for x in got["AssignedPrivateIpAddresses"]], ["10.42.1.7", "10.42.1.8"], "assigned by count")
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a["NetworkInterfaceId"], PrivateIpAddresses=["10.42.1.12"])
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=a["NetworkInterfaceId"], PrivateIpAddresses=["10.42.1.5", "10.42.1.12"])
    now = ec2.describe_network_interfaces(NetworkInterfaceIds=[a["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    eq([x["PrivateIpAddress"] for x in now["PrivateIpAddresses"]], ["10.42.1.4", "10.42.1.7", "10.42.1.8"], "after assign and unassign")
    code, _, _ = client_error(ec2.unassign_private_ip_addresses, NetworkInterfaceId=a["NetworkInterfaceId"], PrivateIpAddresses=["10.42.1.4"])
    eq(code, "InvalidParameterValue", "unassigning the primary address")
    # a /28 has 11 usable addresses (.4 to .14): 4 are held, 7 more fit, then the subnet is full
    made = [ec2.create_network_interface(SubnetId=sub)["NetworkInterface"]["NetworkInterfaceId"] for _ in range(7)]
    code, _, _ = client_error(ec2.create_network_interface, SubnetId=sub)
    eq(code, "InsufficientFreeAddressesInSubnet", "a full subnet")
    by_subnet = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sub]}])["NetworkInterfaces"]
    eq(len(by_subnet), 9, "subnet-id filter")
    for eni in made + [a["NetworkInterfaceId"], b["NetworkInterfaceId"]]:
        ec2.delete_network_interface(NetworkInterfaceId=eni)
    code, _, _ = client_error(ec2.delete_network_interface, NetworkInterfaceId=a["NetworkInterfaceId"])
    eq(code, "InvalidNetworkInterfaceID.NotFound", "deleting twice")
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_security_group(GroupId=web)
    ec2.delete_vpc(VpcId=vpc)


@check
def the_sgfw_host_id_tag_places_an_interface():
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=sub, TagSpecifications=[
        {"ResourceType": "network-interface", "Tags": [{"Key": "sgfw:host-id", "Value": "web-1"}]}])["NetworkInterface"]
    eq((tags_of({"Tags": eni["TagSet"]}), eni["Status"]), ({"sgfw:host-id": "web-1"}, "in-use"), "placed at creation")
    ec2.create_tags(Resources=[eni["NetworkInterfaceId"]], Tags=[{"Key": "sgfw:host-id", "Value": "web-2"}])
    found = ec2.describe_network_interfaces(Filters=[{"Name": "tag:sgfw:host-id", "Values": ["web-2"]}])["NetworkInterfaces"]
    eq([x["NetworkInterfaceId"] for x in found], [eni["NetworkInterfaceId"]], "moved by CreateTags")
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [eni["NetworkInterfaceId"]]}])["Tags"]
    eq([(t["Key"], t["Value"], t["ResourceType"]) for t in described], [("sgfw:host-id", "web-2", "network-interface")], "DescribeTags")
    code, msg, _ = client_error(ec2.create_tags, Resources=[eni["NetworkInterfaceId"]], Tags=[{"Key": "sgfw:host-id", "Value": "a/b"}])
    eq(code, "InvalidParameterValue", f"a host id with a slash ({msg})")
    ec2.delete_tags(Resources=[eni["NetworkInterfaceId"]], Tags=[{"Key": "sgfw:host-id"}])
    now = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    eq((now["TagSet"], now["Status"]), ([], "available"), "unplaced by DeleteTags")
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_vpc(VpcId=vpc)


@check
def ipv6_vpcs_give_their_groups_ipv6_egress_and_subnets_ipv6_addresses():
    vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    assoc = vpc["Ipv6CidrBlockAssociationSet"][0]
    eq((assoc["Ipv6CidrBlock"], assoc["Ipv6CidrBlockState"]["State"]), ("2001:db8::/56", "associated"), "the VPC's IPv6 block")
    listed = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]
    eq(listed["Ipv6CidrBlockAssociationSet"][0]["AssociationId"], assoc["AssociationId"], "DescribeVpcs lists it")
    gid = ec2.create_security_group(GroupName="boto3-v6", Description="v6", VpcId=vpc["VpcId"])["GroupId"]
    for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]:
        eq([(p["IpProtocol"], [r["CidrIp"] for r in p["IpRanges"]], [r["CidrIpv6"] for r in p["Ipv6Ranges"]]) for p in g["IpPermissionsEgress"]],
           [("-1", ["0.0.0.0/0"], ["::/0"])], f"egress of {g['GroupName']}")
    sub = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.44.1.0/24", Ipv6CidrBlock="2001:db8:0:1::/64")["Subnet"]
    eq(sub["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"], "2001:db8:0:1::/64", "the subnet's /64")
    code, _, _ = client_error(ec2.create_subnet, VpcId=vpc["VpcId"], CidrBlock="10.44.2.0/24", Ipv6CidrBlock="2001:db8:1::/64")
    eq(code, "InvalidSubnet.Range", "a /64 outside the VPC's block")
    code, _, _ = client_error(ec2.create_network_interface, SubnetId=sub["SubnetId"], Ipv6AddressCount=1,
                              Ipv6Addresses=[{"Ipv6Address": "2001:db8:0:1::9"}])
    eq(code, "InvalidParameterCombination", "an IPv6 count beside IPv6 addresses")
    code, _, _ = client_error(ec2.create_network_interface, SubnetId=sub["SubnetId"], Ipv6Addresses=[{"Ipv6Address": "2001:db8:0:1::1"}])
    eq(code, "InvalidParameterValue", "a reserved IPv6 address of the subnet")
    eni = ec2.create_network_interface(SubnetId=sub["SubnetId"], Ipv6AddressCount=1)["NetworkInterface"]
    eq([a["Ipv6Address"] for a in eni["Ipv6Addresses"]], ["2001:db8:0:1::4"], "a drawn IPv6 address")
    got = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"], Ipv6AddressCount=1)
    eq(got["AssignedIpv6Addresses"], ["2001:db8:0:1::5"], "AssignIpv6Addresses")
    gone = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"], Ipv6Addresses=["2001:db8:0:1::4"])
    eq(gone["UnassignedIpv6Addresses"], ["2001:db8:0:1::4"], "UnassignIpv6Addresses")
    code, _, _ = client_error(ec2.disassociate_vpc_cidr_block, AssociationId=assoc["AssociationId"])
    eq(code, "DependencyViolation", "an IPv6 block a subnet uses")
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=sub["SubnetId"])
    ec2.delete_security_group(GroupId=gid)
    out = ec2.disassociate_vpc_cidr_block(AssociationId=assoc["AssociationId"])
    eq(out["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"], "disassociated", "DisassociateVpcCidrBlock")
    again = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True)
    eq(again["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"], "2001:db8::/56", "AssociateVpcCidrBlock")
    second = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock="10.45.0.0/16")["CidrBlockAssociation"]
    eq(second["CidrBlock"], "10.45.0.0/16", "a secondary IPv4 block")
    code, _, _ = client_error(ec2.associate_vpc_cidr_block, VpcId=vpc["VpcId"], CidrBlock="10.44.128.0/17")
    eq(code, "InvalidVpc.Range", "a secondary block overlapping the primary")
    ec2.disassociate_vpc_cidr_block(AssociationId=second["AssociationId"])
    code, _, _ = client_error(ec2.disassociate_vpc_cidr_block, AssociationId=second["AssociationId"])
    eq(code, "InvalidVpcCidrBlockAssociationID.NotFound", "a block already gone")
    code, _, _ = client_error(ec2.disassociate_vpc_cidr_block, AssociationId="assoc-1")
    eq(code, "InvalidVpcCidrBlockAssociationId.Malformed", "a malformed association id")
    ec2.delete_vpc(VpcId=vpc["VpcId"])


@check
def client_token_retries_answer_the_first_create():
    # EC2's "Ensuring idempotency": same token and request, the first answer; other request, IdempotentParameterMismatch.
    mismatch = ("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
    req = {"PrefixListName": "boto3-idem", "AddressFamily": "IPv4", "MaxEntries": 3, "Entries": [{"Cidr": "203.0.113.0/24"}]}
    first = ec2.create_managed_prefix_list(ClientToken="boto3-pl-token", **req)["PrefixList"]
    again = ec2.create_managed_prefix_list(ClientToken="boto3-pl-token", **req)["PrefixList"]
    eq(again["PrefixListId"], first["PrefixListId"], "the retried create's list")
    eq(len(ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["boto3-idem"]}])["PrefixLists"]), 1, "lists named boto3-idem")
    code, msg, status = client_error(ec2.create_managed_prefix_list, ClientToken="boto3-pl-token", **{**req, "MaxEntries": 4})
    eq((code, msg, status), mismatch + (400,), "the token with another MaxEntries")
    # boto3 fills a fresh token itself: two plain calls are two lists
    other = ec2.create_managed_prefix_list(**req)["PrefixList"]
    assert other["PrefixListId"] != first["PrefixListId"], other
    ec2.delete_managed_prefix_list(PrefixListId=other["PrefixListId"])
    ec2.delete_managed_prefix_list(PrefixListId=first["PrefixListId"])

    vpc = ec2.create_vpc(CidrBlock="10.47.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.47.1.0/24")["Subnet"]["SubnetId"]
    a = ec2.create_network_interface(SubnetId=sub, Description="idem", ClientToken="boto3-eni-token")
    b = ec2.create_network_interface(SubnetId=sub, Description="idem", ClientToken="boto3-eni-token")
    eq(a.get("ClientToken"), "boto3-eni-token", "CreateNetworkInterface echoes the token")
    eq(b["NetworkInterface"]["NetworkInterfaceId"], a["NetworkInterface"]["NetworkInterfaceId"], "the retried create's interface")
    eq(b["NetworkInterface"]["PrivateIpAddress"], a["NetworkInterface"]["PrivateIpAddress"], "and its address")
    code, msg, _ = client_error(ec2.create_network_interface, SubnetId=sub, Description="other", ClientToken="boto3-eni-token")
    eq((code, msg), mismatch, "the token with another Description")
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sub]}])["NetworkInterfaces"]
    eq(len(enis), 1, "interfaces in the subnet")
    ec2.delete_network_interface(NetworkInterfaceId=a["NetworkInterface"]["NetworkInterfaceId"])
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_vpc(VpcId=vpc)


@check
def revoking_a_rule_that_is_not_there():
    # EC2 API reference: the default VPC answers the unknown rules in UnknownIpPermissions; another VPC, InvalidPermission.NotFound.
    perm = {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "IpRanges": [{"CidrIp": "192.0.2.9/32"}]}
    gid = ec2.create_security_group(GroupName="boto3-revoke-unknown", Description="r")["GroupId"]
    r = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[perm])
    assert r.get("Return") is True, r
    eq([(p["IpProtocol"], p["FromPort"], p["ToPort"], p["IpRanges"]) for p in r["UnknownIpPermissions"]],
       [("tcp", 2222, 2222, [{"CidrIp": "192.0.2.9/32"}])], "UnknownIpPermissions")
    ec2.delete_security_group(GroupId=gid)
    vpc = ec2.create_vpc(CidrBlock="10.48.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName="boto3-revoke-unknown", Description="r", VpcId=vpc)["GroupId"]
    code, msg, _ = client_error(ec2.revoke_security_group_ingress, GroupId=gid, IpPermissions=[perm])
    eq((code, msg), ("InvalidPermission.NotFound", "The specified rule does not exist in this security group."), "a non-default VPC")
    ec2.delete_security_group(GroupId=gid)
    ec2.delete_vpc(VpcId=vpc)


for line in results:
    print(json.dumps(line))
sys.exit(0 if all(r["ok"] for r in results) else 1)
