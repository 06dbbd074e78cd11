#!/usr/bin/env python3
"""kube_schema_check.py RENDERED.yaml...: validates rendered manifests against the Kubernetes API's own object
schemas, as Debian's python3-kubernetes carries them (its models are generated from the API server's OpenAPI
specification: each model's openapi_types and attribute_map are the schema's properties and types, and its setters
refuse a missing required field). Reports unknown fields, wrong types and missing required fields, with the path.

Kinds the client has no model for (custom resources such as the Prometheus Operator's ServiceMonitor) are listed
as not validated. Exit 0 when every validated object is clean, 1 otherwise, 2 when python3-kubernetes is missing.
"""
import re
import sys

import yaml

try:
    import kubernetes
    from kubernetes import client
    from kubernetes.client import models
except ImportError:
    print("python3-kubernetes missing (apt-get install python3-kubernetes)")
    sys.exit(2)

# Fields whose Kubernetes type is resource.Quantity, which the Python client declares as str; the API also takes numbers.
QUANTITY_MAPS = {("V1ResourceRequirements", "limits"), ("V1ResourceRequirements", "requests")}
errors = []


def model_for(api_version, kind):
    version = api_version.split("/")[-1]
    return getattr(models, version[0].upper() + version[1:] + kind, None)


def required_attributes(cls):
    """Attributes whose setter refuses None: the schema's required fields."""
    probe = cls.__new__(cls)
    probe.local_vars_configuration = client.Configuration()
    required = []
    for attribute in cls.openapi_types:
        try:
            setattr(probe, attribute, None)
        except ValueError:
            required.append(attribute)
    return required


def check(value, type_name, path, owner=None, field=None):
    if value is None:
        return
    if (owner, field) in QUANTITY_MAPS:
        if not isinstance(value, dict):
            errors.append(f"{path}: must be a map of quantities")
            return
        for key, quantity in value.items():
            if isinstance(quantity, bool) or not isinstance(quantity, (str, int, float)):
                errors.append(f"{path}.{key}: {quantity!r} is not a quantity")
        return
    if type_name == "str":
        if not isinstance(value, str):
            errors.append(f"{path}: {value!r} is {type(value).__name__}, must be a string")
    elif type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: {value!r} must be an integer")
    elif type_name == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: {value!r} must be a number")
    elif type_name == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: {value!r} must be true or false")
    elif type_name in ("object", "datetime", "date"):
        pass  # IntOrString, RawExtension, times: any scalar or map the API parses itself
    elif type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: must be a list")
            return
        for index, item in enumerate(value):
            check(item, type_name[5:-1], f"{path}[{index}]")
    elif type_name.startswith("dict("):
        if not isinstance(value, dict):
            errors.append(f"{path}: must be a map")
            return
        inner = re.match(r"dict\(str, (.*)\)$", type_name).group(1)
        for key, item in value.items():
            check(item, inner, f"{path}.{key}", owner, field)
    else:
        check_object(value, getattr(models, type_name), path)


def check_object(value, cls, path):
    if not isinstance(value, dict):
        errors.append(f"{path}: must be a map ({cls.__name__})")
        return
    by_json = {json_name: attribute for attribute, json_name in cls.attribute_map.items()}
    for key, item in value.items():
        attribute = by_json.get(key)
        if attribute is None:
            errors.append(f"{path}.{key}: unknown field of {cls.__name__}")
            continue
        check(item, cls.openapi_types[attribute], f"{path}.{key}", cls.__name__, attribute)
    for attribute in required_attributes(cls):
        if value.get(cls.attribute_map[attribute]) is None:
            errors.append(f"{path}.{cls.attribute_map[attribute]}: required by {cls.__name__}")


def main(paths):
    validated, skipped = 0, set()
    for path in paths:
        with open(path) as stream:
            documents = [d for d in yaml.safe_load_all(stream) if d]
        for document in documents:
            kind, api_version = document.get("kind"), document.get("apiVersion", "")
            name = (document.get("metadata") or {}).get("name")
            cls = model_for(api_version, kind)
            if cls is None:
                skipped.add(f"{api_version} {kind}")
                continue
            check_object(document, cls, f"{path}: {kind}/{name}")
            validated += 1
    for error in errors:
        print("ERROR", error)
    print(f"kubernetes {kubernetes.__version__} models: {validated} objects validated, {len(errors)} errors; "
          f"not validated (no model): {', '.join(sorted(skipped)) or 'none'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
