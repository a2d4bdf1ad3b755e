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
    code, _, status = client_error(ec2.describe_subnets)
    eq((code, status), ("InvalidAction", 400), "DescribeSubnets")


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


for line in results:
    print(json.dumps(line))
sys.exit(0 if all(r["ok"] for r in results) else 1)
