namespace Hearth.Compose.Schema;

public enum ScalarKind
{
    String,
    Integer,
    Number,
    Boolean,

    /// <summary>A boolean, null, number or string: any scalar.</summary>
    Any,
}
