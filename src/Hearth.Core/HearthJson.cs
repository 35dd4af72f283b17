using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Hearth.Core;

/// <summary>
/// The one JSON shape used on the wire and in the store: snake_case fields, states as "TIMED_OUT", durations in
/// seconds. Serialization code is generated at build time (<see cref="HearthJsonContext"/>): there is no reflection
/// fallback, so the JIT build fails on a type the Native AOT CLI could not serialize, and every test run checks that.
/// </summary>
public static class HearthJson
{
    public static JsonSerializerOptions Options { get; } = For();

    /// <summary>The same shape for an assembly that adds types of its own through its own generated context.</summary>
    public static JsonSerializerOptions For(params IJsonTypeInfoResolver[] contexts)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApplyTo(options);
        foreach (var context in contexts)
            options.TypeInfoResolverChain.Add(context);
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Gives options made elsewhere (ASP.NET Core's, which the OpenAPI document reads its schemas from) the wire shape
    /// and the generated metadata, so a described field is named as it is sent. The generated metadata goes first: it
    /// wins over a reflection resolver those options may already have.
    /// </summary>
    public static void ApplyTo(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.TypeInfoResolverChain.Insert(0, HearthJsonContext.Default);
        options.Converters.Add(new TimeSpanSecondsConverter());
    }

    /// <summary>
    /// The generated metadata of <typeparamref name="T"/>; throws if no context of <paramref name="options"/> knows it.
    /// </summary>
    public static JsonTypeInfo<T> TypeInfo<T>(this JsonSerializerOptions options) =>
        (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options.TypeInfo<T>());

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize(json, Options.TypeInfo<T>());

    /// <summary>Durations travel as seconds (a number), which every client language reads without a parser.</summary>
    public sealed class TimeSpanSecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.TotalSeconds);
    }
}
