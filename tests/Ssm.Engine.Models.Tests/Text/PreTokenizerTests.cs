using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public class PreTokenizerTests
{
    [Theory]
    [InlineData("a\n\n\nb", new[] { "a", "\n\n", "\n", "b" })]
    [InlineData("a   b", new[] { "a", "  ", " b" })]
    [InlineData(" abc\U0001D400def", new[] { " abc\U0001D400def" })]
    [InlineData(" 123\U0001D7D2", new[] { " 123\U0001D7D2" })]
    [InlineData("HE'S he's", new[] { "HE", "'", "S", " he", "'s" })]
    [InlineData("we'll 're 've 'm 'd 't",
        new[] { "we", "'ll", " '", "re", " '", "ve", " '", "m", " '", "d", " '", "t" })]
    [InlineData("x\ty", new[] { "x", "\t", "y" })]
    [InlineData("  ", new[] { "  " })]
    [InlineData("hi!!! ?", new[] { "hi", "!!!", " ?" })]
    [InlineData("a\u00A0b", new[] { "a", "\u00A0", "b" })]
    [InlineData("a\uFEFFb", new[] { "a", "\uFEFF", "b" })]
    [InlineData("a \u0085", new[] { "a", " \u0085" })]
    public void Split_FollowsGpt2Pattern_ByCodePoint(string text, string[] expected)
    {
        Assert.Equal(expected, PreTokenizer.Split(text));
    }

    [Fact]
    public void IsWhiteSpace_IsUnicodeWhiteSpace_NotDotNetIsWhiteSpace()
    {
        int[] yes =
            [0x09, 0x0A, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000];
        int[] no = [0xFEFF, 0x200B, 0x180E, 0x1C, 0x1F, 0x41];
        Assert.All(yes, c => Assert.True(PreTokenizer.IsWhiteSpace(c), $"U+{c:X4}"));
        Assert.All(no, c => Assert.False(PreTokenizer.IsWhiteSpace(c), $"U+{c:X4}"));
    }
}
