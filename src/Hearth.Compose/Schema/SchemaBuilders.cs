namespace Hearth.Compose.Schema;

/// <summary>Short constructors that keep the schema definition readable.</summary>
internal static class SchemaBuilders
{
    public static readonly SchemaType Str = new ScalarType(ScalarKind.String);
    public static readonly SchemaType Int = new ScalarType(ScalarKind.Integer);
    public static readonly SchemaType Num = new ScalarType(ScalarKind.Number);
    public static readonly SchemaType Bool = new ScalarType(ScalarKind.Boolean);
    public static readonly SchemaType Scalar = new ScalarType(ScalarKind.Any);
    public static readonly SchemaType Any = new AnyType();
    public static readonly SchemaType Duration = new CheckedScalarType("duration", t =>
        Model.GoDuration.TryParse(t, out _)
    );

    // Compose's word (compose-go says "must be a integer"), with what it accepts.
    public static readonly SchemaType ByteSize = new CheckedScalarType(
        "integer",
        t => Model.ByteSize.TryParse(t, out _),
        "bytes, or a number with b, k, m or g such as 256m or 1gb"
    );
    public static readonly SchemaType StrList = new ArrayType(Str);
    public static readonly SchemaType UniqueStrList = new ArrayType(Str, unique: true);
    public static readonly SchemaType StrOrList = new ChoiceType(Str, StrList);
    public static readonly SchemaType ListOrDict = new ChoiceType(new MapType(Scalar), UniqueStrList);
    public static readonly SchemaType StrMap = new MapType(Scalar);

    public static ObjectType Obj(params (string Key, SchemaType Type)[] properties) =>
        new(properties.ToDictionary(p => p.Key, p => p.Type));

    public static ObjectType NullableObj(params (string Key, SchemaType Type)[] properties) =>
        new(properties.ToDictionary(p => p.Key, p => p.Type), nullable: true);

    public static ObjectType ObjRequired(string[] required, params (string Key, SchemaType Type)[] properties) =>
        new(properties.ToDictionary(p => p.Key, p => p.Type), required);

    public static SchemaType List(SchemaType items) => new ArrayType(items);

    public static SchemaType Map(SchemaType values) => new MapType(values);

    public static SchemaType OneOf(params SchemaType[] options) => new ChoiceType(options);
}
