using static Hearth.Compose.Schema.SchemaBuilders;

namespace Hearth.Compose.Schema;

/// <summary>The schema of one service.</summary>
public static class ServiceSchema
{
    private static readonly SchemaType Command = OneOf(Str, StrList);

    private static readonly SchemaType FileReference = List(
        OneOf(Str, Obj(("source", Str), ("target", Str), ("uid", Str), ("gid", Str), ("mode", Scalar)))
    );

    private static readonly SchemaType Build = OneOf(
        Str,
        Obj(
            ("context", Str),
            ("dockerfile", Str),
            ("dockerfile_inline", Str),
            ("entitlements", StrList),
            ("args", ListOrDict),
            ("ssh", ListOrDict),
            ("labels", ListOrDict),
            ("cache_from", StrList),
            ("cache_to", StrList),
            ("no_cache", Bool),
            ("no_cache_filter", StrOrList),
            ("additional_contexts", ListOrDict),
            ("network", Str),
            ("provenance", Scalar),
            ("sbom", Scalar),
            ("pull", Bool),
            ("target", Str),
            ("shm_size", ByteSize),
            ("extra_hosts", ListOrDict),
            ("isolation", Str),
            ("privileged", Bool),
            ("secrets", FileReference),
            ("tags", StrList),
            ("ulimits", Ulimits()),
            ("platforms", StrList)
        )
    );

    private static SchemaType Ulimits() => Map(OneOf(Int, ObjRequired(["soft", "hard"], ("soft", Int), ("hard", Int))));

    private static readonly SchemaType Healthcheck = Obj(
        ("disable", Bool),
        ("interval", Duration),
        ("retries", Num),
        ("test", OneOf(Str, StrList)),
        ("timeout", Duration),
        ("start_period", Duration),
        ("start_interval", Duration)
    );

    private static readonly SchemaType DependsOn = OneOf(
        UniqueStrList,
        Map(ObjRequired(["condition"], ("condition", Str), ("restart", Bool), ("required", Bool)))
    );

    private static readonly SchemaType Device = ObjRequired(
        ["capabilities"],
        ("capabilities", StrList),
        ("count", Scalar),
        ("device_ids", StrList),
        ("driver", Str),
        ("options", StrMap)
    );

    private static readonly SchemaType Resources = Obj(
        ("limits", Obj(("cpus", Scalar), ("memory", ByteSize), ("pids", Int))),
        (
            "reservations",
            Obj(
                ("cpus", Scalar),
                ("memory", ByteSize),
                ("generic_resources", List(Obj(("discrete_resource_spec", Obj(("kind", Str), ("value", Num)))))),
                ("devices", List(Device))
            )
        )
    );

    private static readonly SchemaType UpdateConfig = Obj(
        ("parallelism", Int),
        ("delay", Duration),
        ("failure_action", Str),
        ("monitor", Duration),
        ("max_failure_ratio", Num),
        ("order", Str)
    );

    private static readonly SchemaType Deploy = NullableObj(
        ("mode", Str),
        ("endpoint_mode", Str),
        ("replicas", Int),
        ("labels", ListOrDict),
        ("rollback_config", UpdateConfig),
        ("update_config", UpdateConfig),
        ("resources", Resources),
        ("restart_policy", Obj(("condition", Str), ("delay", Duration), ("max_attempts", Int), ("window", Duration))),
        (
            "placement",
            Obj(("constraints", StrList), ("preferences", List(Obj(("spread", Str)))), ("max_replicas_per_node", Int))
        )
    );

    private static readonly SchemaType Port = OneOf(
        Num,
        Str,
        Obj(
            ("name", Str),
            ("mode", Str),
            ("host_ip", Str),
            ("target", Int),
            ("published", Scalar),
            ("protocol", Str),
            ("app_protocol", Str)
        )
    );

    private static readonly SchemaType Volume = OneOf(
        Str,
        ObjRequired(
            ["type"],
            ("type", Str),
            ("source", Str),
            ("target", Str),
            ("read_only", Bool),
            ("consistency", Str),
            ("bind", Obj(("propagation", Str), ("create_host_path", Bool), ("recursive", Str), ("selinux", Str))),
            ("volume", Obj(("nocopy", Bool), ("subpath", Str), ("labels", ListOrDict))),
            ("tmpfs", Obj(("size", ByteSize), ("mode", Scalar))),
            ("image", Obj(("subpath", Str)))
        )
    );

    private static readonly SchemaType ServiceNetworks = OneOf(
        UniqueStrList,
        Map(
            NullableObj(
                ("aliases", StrList),
                ("ipv4_address", Str),
                ("ipv6_address", Str),
                ("link_local_ips", StrList),
                ("mac_address", Str),
                ("driver_opts", StrMap),
                ("priority", Num),
                ("gw_priority", Num),
                ("interface_name", Str)
            )
        )
    );

    private static readonly SchemaType Develop = Obj(
        (
            "watch",
            List(
                ObjRequired(
                    ["path", "action"],
                    ("path", Str),
                    ("action", Str),
                    ("target", Str),
                    ("ignore", StrOrList),
                    ("include", StrOrList),
                    ("initial_sync", Bool),
                    (
                        "exec",
                        Obj(
                            ("command", Command),
                            ("user", Str),
                            ("privileged", Bool),
                            ("working_dir", Str),
                            ("environment", ListOrDict)
                        )
                    )
                )
            )
        )
    );

    private static readonly SchemaType Hook = List(
        ObjRequired(
            ["command"],
            ("command", Command),
            ("user", Str),
            ("privileged", Bool),
            ("working_dir", Str),
            ("environment", ListOrDict)
        )
    );

    private static readonly SchemaType EnvFile = OneOf(
        Str,
        List(OneOf(Str, ObjRequired(["path"], ("path", Str), ("required", Bool), ("format", Str))))
    );

    private static readonly (string, SchemaType)[] Properties =
    [
        ("annotations", ListOrDict),
        ("attach", Bool),
        ("build", Build),
        ("blkio_config", Any),
        ("cap_add", UniqueStrList),
        ("cap_drop", UniqueStrList),
        ("cgroup", Str),
        ("cgroup_parent", Str),
        ("command", OneOf(Str, StrList)),
        ("configs", FileReference),
        ("container_name", Str),
        ("cpu_count", Int),
        ("cpu_percent", Int),
        ("cpu_shares", Scalar),
        ("cpu_quota", Scalar),
        ("cpu_period", Scalar),
        ("cpu_rt_period", Scalar),
        ("cpu_rt_runtime", Scalar),
        ("cpus", Scalar),
        ("cpuset", Str),
        ("credential_spec", Any),
        ("depends_on", DependsOn),
        ("deploy", Deploy),
        ("develop", Develop),
        ("device_cgroup_rules", StrList),
        ("devices", List(OneOf(Str, ObjRequired(["source"], ("source", Str), ("target", Str), ("permissions", Str))))),
        ("dns", StrOrList),
        ("dns_opt", StrList),
        ("dns_search", StrOrList),
        ("domainname", Str),
        ("entrypoint", OneOf(Str, StrList)),
        ("env_file", EnvFile),
        ("label_file", StrOrList),
        ("environment", OneOf(Map(Scalar), UniqueStrList)),
        ("expose", List(Scalar)),
        ("extends", OneOf(Str, ObjRequired(["service"], ("service", Str), ("file", Str)))),
        ("external_links", StrList),
        ("extra_hosts", OneOf(Map(OneOf(Str, StrList)), StrList)),
        ("gpus", Any),
        ("group_add", List(Scalar)),
        ("healthcheck", Healthcheck),
        ("hostname", Str),
        ("image", Str),
        ("init", Bool),
        ("ipc", Str),
        ("isolation", Str),
        ("labels", ListOrDict),
        ("links", StrList),
        ("logging", Obj(("driver", Str), ("options", Map(Scalar)))),
        ("mac_address", Str),
        ("mem_limit", ByteSize),
        ("mem_reservation", ByteSize),
        ("mem_swappiness", Int),
        ("memswap_limit", Scalar),
        ("models", OneOf(StrList, Map(NullableObj(("endpoint_var", Str), ("model_var", Str))))),
        ("network_mode", Str),
        ("networks", ServiceNetworks),
        ("oom_kill_disable", Bool),
        ("oom_score_adj", Int),
        ("pid", Str),
        ("pids_limit", Int),
        ("platform", Str),
        ("ports", List(Port)),
        ("post_start", Hook),
        ("pre_stop", Hook),
        ("privileged", Bool),
        ("profiles", UniqueStrList),
        ("provider", Any),
        ("pull_policy", Str),
        ("pull_refresh_after", Str),
        ("read_only", Bool),
        ("restart", Str),
        ("runtime", Str),
        ("scale", Int),
        ("secrets", FileReference),
        ("security_opt", StrList),
        ("shm_size", ByteSize),
        ("stdin_open", Bool),
        ("stop_grace_period", Duration),
        ("stop_signal", Str),
        ("storage_opt", Any),
        ("sysctls", ListOrDict),
        ("tmpfs", StrOrList),
        ("tty", Bool),
        ("ulimits", Ulimits()),
        ("use_api_socket", Bool),
        ("user", Str),
        ("userns_mode", Str),
        ("uts", Str),
        ("volumes", List(Volume)),
        ("volumes_from", UniqueStrList),
        ("working_dir", Str),
    ];

    /// <summary>
    /// A service may be left empty (<c>nil:</c>); it then fails the image-or-build check, not the schema.
    /// </summary>
    public static readonly SchemaType Service = NullableObj(Properties);
}
