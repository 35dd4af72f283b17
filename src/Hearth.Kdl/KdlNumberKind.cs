namespace Hearth.Kdl;

public enum KdlNumberKind
{
    /// <summary>A whole number written in decimal, hex, octal or binary, with no fraction or exponent.</summary>
    Integer,

    /// <summary>A decimal number with a fraction and/or an exponent.</summary>
    Decimal,

    PositiveInfinity,
    NegativeInfinity,
    NaN,
}
