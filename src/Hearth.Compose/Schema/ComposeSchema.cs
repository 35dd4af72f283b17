using static Hearth.Compose.Schema.SchemaBuilders;

namespace Hearth.Compose.Schema;

/// <summary>The compose file schema (after the Compose Specification): top level, resources.</summary>
public static class ComposeSchema
{
    private static readonly SchemaType External = OneOf(Bool, Obj(("name", Str)));

    public static readonly SchemaType Network = NullableObj(
        ("name", Str),
        ("driver", Str),
        ("driver_opts", StrMap),
        ("external", External),
        ("internal", Bool),
        ("attachable", Bool),
        ("enable_ipv4", Bool),
        ("enable_ipv6", Bool),
        ("labels", ListOrDict),
        (
            "ipam",
            Obj(
                ("driver", Str),
                ("options", StrMap),
                ("config", List(Obj(("subnet", Str), ("ip_range", Str), ("gateway", Str), ("aux_addresses", StrMap))))
            )
        )
    );

    public static readonly SchemaType Volume = NullableObj(
        ("name", Str),
        ("driver", Str),
        ("driver_opts", StrMap),
        ("external", External),
        ("labels", ListOrDict)
    );

    public static readonly SchemaType FileObject = NullableObj(
        ("name", Str),
        ("file", Str),
        ("environment", Str),
        ("content", Str),
        ("external", External),
        ("labels", ListOrDict),
        ("driver", Str),
        ("driver_opts", StrMap),
        ("template_driver", Str)
    );

    public static readonly SchemaType Model = NullableObj(
        ("name", Str),
        ("model", Str),
        ("context_size", Int),
        ("runtime_flags", StrList)
    );

    private static readonly SchemaType Include = OneOf(
        Str,
        Obj(("path", StrOrList), ("env_file", StrOrList), ("project_directory", Str))
    );

    public static readonly SchemaType File = Obj(
        ("version", Str),
        ("name", Str),
        ("include", List(Include)),
        ("services", Map(ServiceSchema.Service)),
        ("networks", Map(Network)),
        ("volumes", Map(Volume)),
        ("secrets", Map(FileObject)),
        ("configs", Map(FileObject)),
        ("models", Map(Model))
    );
}
