using Ssm.Engine.Models.Text;
using Xunit;

namespace Ssm.Engine.Models.Tests.Text;

public class AddedTokenMatcherTests
{
    private static AddedToken Tok(int id, string content, bool singleWord = false, bool lstrip = false,
        bool rstrip = false) => new(id, content, true, singleWord, lstrip, rstrip, false);

    private static string Show(List<(string Text, AddedToken? Token)> parts) =>
        string.Join("|", parts.Select(p => p.Token is null ? p.Text : $"[{p.Token.Id}:{p.Text}]"));

    [Fact]
    public void Split_TakesTheLongestTokenAtTheLeftmostPosition()
    {
        var m = new AddedTokenMatcher([Tok(1, "  "), Tok(2, "   "), Tok(3, "<a>")], t => t.Content);
        Assert.Equal("x|[2:   ]|[1:  ]|y<a|[3:<a>]", Show(m.Split("x     y<a<a>")));
    }

    [Fact]
    public void Split_LeavesNearMissesAsText()
    {
        var m = new AddedTokenMatcher([Tok(0, "<|endoftext|>")], t => t.Content);
        Assert.Equal("<|endoftext|", Show(m.Split("<|endoftext|")));
        Assert.Equal("<|ENDOFTEXT|>", Show(m.Split("<|ENDOFTEXT|>")));
    }

    [Fact]
    public void Split_AbsorbsAdjacentWhitespace_WithLStripAndRStrip()
    {
        var m = new AddedTokenMatcher([Tok(5, "<m>", lstrip: true, rstrip: true)], t => t.Content);
        Assert.Equal("a|[5:  <m> ]|b", Show(m.Split("a  <m> b")));
    }

    [Fact]
    public void Split_MatchesSingleWordTokens_OnlyOutsideWords()
    {
        var m = new AddedTokenMatcher([Tok(7, "cat", singleWord: true)], t => t.Content);
        Assert.Equal("a |[7:cat]| b", Show(m.Split("a cat b")));
        Assert.Equal("concat", Show(m.Split("concat")));
        Assert.Equal("cats", Show(m.Split("cats")));
    }
}
