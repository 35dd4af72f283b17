using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>Anything at all (extension values, driver-specific blocks).</summary>
public sealed class AnyType : SchemaType
{
    public override string Expected => "value";

    public override bool Accepts(YNode node) => true;

    public override void Validate(YNode node, string path, List<ComposeError> errors) { }
}
