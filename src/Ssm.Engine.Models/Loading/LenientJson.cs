using System.Text;
using System.Text.Json;

namespace Ssm.Engine.Models.Loading;

/// <summary>Reads config.json files as Python's json module writes them: bare <c>NaN</c>, <c>Infinity</c> and
/// <c>-Infinity</c> tokens (invalid JSON) are accepted as numbers.</summary>
public static class LenientJson
{
    /// <summary>Parses <paramref name="text"/>, quoting bare NaN/Infinity tokens outside strings first.</summary>
    public static JsonDocument Parse(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                sb.Append(c);
                if (c == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') { inString = true; sb.Append(c); continue; }
            string? token = Match(text, i, "-Infinity") ?? Match(text, i, "Infinity") ?? Match(text, i, "NaN");
            if (token is null) { sb.Append(c); continue; }
            sb.Append('"').Append(token).Append('"');
            i += token.Length - 1;
        }
        return JsonDocument.Parse(sb.ToString());
    }

    /// <summary>A number, or one of the strings "NaN", "Infinity", "-Infinity".</summary>
    public static double Number(JsonElement e, string key) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String when e.GetString() == "Infinity" => double.PositiveInfinity,
        JsonValueKind.String when e.GetString() == "-Infinity" => double.NegativeInfinity,
        JsonValueKind.String when e.GetString() == "NaN" => double.NaN,
        _ => throw new ModelConfigReadException($"{key}: expected a number, found {e.ValueKind} {e}"),
    };

    private static string? Match(string text, int i, string token) =>
        string.CompareOrdinal(text, i, token, 0, token.Length) == 0 &&
        (i + token.Length == text.Length || !char.IsLetterOrDigit(text[i + token.Length])) &&
        (i == 0 || !char.IsLetterOrDigit(text[i - 1]))
            ? token
            : null;
}

/// <summary>A config.json the engine cannot use: malformed, inconsistent, or asking for an unsupported
/// computation.</summary>
public sealed class ModelConfigReadException(string message) : Exception("[config] " + message);
