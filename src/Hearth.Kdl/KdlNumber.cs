using System.Globalization;
using System.Numerics;

namespace Hearth.Kdl;

/// <summary>
/// A number. KDL numbers have arbitrary size and precision, so the value is kept as its canonical text
/// (integers in plain decimal, decimals with an upper-case, signed exponent) and converted on request.
/// </summary>
public sealed class KdlNumber : KdlValue
{
    public KdlNumber(
        KdlNumberKind kind,
        string canonicalText,
        string? typeAnnotation = null,
        KdlSource? source = null,
        int offset = 0
    )
        : base(typeAnnotation, source, offset)
    {
        Kind = kind;
        CanonicalText = canonicalText ?? throw new ArgumentNullException(nameof(canonicalText));
    }

    public KdlNumberKind Kind { get; }

    /// <summary>
    /// Plain decimal for integers (<c>0x10</c> is <c>16</c>), <c>1.5E+3</c> style for decimals, or <c>#inf</c>,
    /// <c>#-inf</c>, <c>#nan</c>.
    /// </summary>
    public string CanonicalText { get; }

    public bool TryGetInt64(out long value)
    {
        value = 0;
        return Kind == KdlNumberKind.Integer
            && long.TryParse(CanonicalText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value as an integer; throws for non-integers.</summary>
    public BigInteger ToBigInteger() =>
        Kind == KdlNumberKind.Integer
            ? BigInteger.Parse(CanonicalText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{CanonicalText} is not an integer.");

    /// <summary>The nearest double; values beyond its range become infinities.</summary>
    public double ToDouble() =>
        Kind switch
        {
            KdlNumberKind.PositiveInfinity => double.PositiveInfinity,
            KdlNumberKind.NegativeInfinity => double.NegativeInfinity,
            KdlNumberKind.NaN => double.NaN,
            _ => double.Parse(CanonicalText, NumberStyles.Float, CultureInfo.InvariantCulture),
        };

    public override string ToString() => CanonicalText;
}
