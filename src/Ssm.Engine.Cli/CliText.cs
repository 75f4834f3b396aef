namespace Ssm.Engine.Cli;

/// <summary>Small text helpers for command output.</summary>
internal static class CliText
{
    /// <summary>An exception's message without the " (Parameter 'x')" suffix of argument exceptions.</summary>
    public static string Message(Exception e) =>
        e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", "") : e.Message;
}
