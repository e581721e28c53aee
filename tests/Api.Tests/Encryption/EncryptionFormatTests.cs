using System.Security.Cryptography;
using System.Text;
using Spokes.Api.Encryption;

namespace Spokes.Api.Tests.Encryption;

/// <summary>The formats kept at rest: sealed fields, the master key header and wrapped data keys, the blind index.</summary>
public sealed class EncryptionFormatTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void A_sealed_value_is_a_version_byte_a_nonce_the_ciphertext_and_a_tag_and_opens_only_for_its_own_record()
    {
        var record = SealedFields.MessageContent("channel-a", "message-1");
        var box = SealedBox.Seal(Key, "hello there"u8, record);

        Assert.Equal(SealedBox.Version, box[0]);
        Assert.Equal("hello there".Length + SealedBox.Overhead, box.Length);
        Assert.Equal("hello there", Encoding.UTF8.GetString(SealedBox.Open(Key, box, record)));
        Assert.NotEqual(box, SealedBox.Seal(Key, "hello there"u8, record));
        // Copied into another message's row, or another channel's, it does not open.
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, box, SealedFields.MessageContent("channel-a", "message-2")));
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, box, SealedFields.MessageContent("channel-b", "message-1")));
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, box, SealedFields.MessageEmbed("channel-a", "message-1")));
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(RandomNumberGenerator.GetBytes(32), box, record));
        var changed = (byte[])box.Clone();
        changed[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, changed, record));
        var otherVersion = (byte[])box.Clone();
        otherVersion[0] = 2;
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, otherVersion, record));
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(Key, box.AsSpan(0, SealedBox.Overhead - 1), record));
    }

    [Fact]
    public void Plain_text_from_before_encryption_is_told_apart_from_a_sealed_value()
    {
        var record = SealedFields.ChannelDescription("channel");
        Assert.False(SealedBox.TryOpenText(Key, "just some words", record, out _));
        Assert.False(SealedBox.TryOpenText(Key, Convert.ToBase64String(new byte[40]), record, out _));
        Assert.True(SealedBox.TryOpenText(Key, SealedBox.SealText(Key, "sealed words", record), record, out var opened));
        Assert.Equal("sealed words", opened);
    }

    [Fact]
    public void The_master_password_opens_its_header_and_a_wrong_one_does_not()
    {
        var (key, header) = MasterKey.Create("correct horse battery staple");
        var wrapped = key.Wrap("channel:one", Key);
        var parsed = MasterKeyHeader.Parse(header.ToJson());

        Assert.Equal(header, parsed);
        Assert.Null(MasterKey.Open("Correct horse battery staple", parsed));
        using var reopened = MasterKey.Open("correct horse battery staple", parsed);
        Assert.NotNull(reopened);
        Assert.Equal(Key, reopened.Unwrap("channel:one", wrapped));
        // A wrapped key moved to another channel's entry does not unwrap there.
        Assert.ThrowsAny<CryptographicException>(() => reopened.Unwrap("channel:two", wrapped));
        // The same password with another salt is another key.
        var (other, _) = MasterKey.Create("correct horse battery staple");
        Assert.ThrowsAny<CryptographicException>(() => other.Unwrap("channel:one", wrapped));
        Assert.DoesNotContain("correct", header.ToJson());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("not json")]
    [InlineData("""{"v":2,"m":1,"t":1,"p":1,"salt":"AA==","verifier":"AA=="}""")]
    public void A_header_this_version_does_not_read_is_refused(string json) =>
        Assert.Throws<FormatException>(() => MasterKeyHeader.Parse(json));

    [Fact]
    public void Words_are_folded_as_the_full_text_index_folded_them()
    {
        Assert.Equal(["unicode", "cafe", "e", "mail", "zodz", "42"], BlindIndex.Words("Ünïcode  CAFÉ, e-mail! ŽÓDŹ 42"));
        Assert.Equal(["cafe"], BlindIndex.Words("cafe\u0301"));
        Assert.Empty(BlindIndex.Words(" ,.;!? "));
    }

    [Fact]
    public void The_blind_index_holds_a_token_per_word_in_order_and_no_word()
    {
        var indexKey = BlindIndex.IndexKey(Key);
        var tokens = BlindIndex.Tokens(indexKey, "Spokes and wheels, spokes")!.Split(' ');

        Assert.Equal(4, tokens.Length);
        Assert.Equal(tokens[0], tokens[3]);
        Assert.All(tokens, t => Assert.Matches("^[0-9a-f]{16}$", t));
        Assert.Null(BlindIndex.Tokens(indexKey, "?!"));
        Assert.Null(BlindIndex.Tokens(indexKey, null));
        // Another channel's key makes other tokens of the same words.
        Assert.NotEqual(tokens[0], BlindIndex.Tokens(BlindIndex.IndexKey(RandomNumberGenerator.GetBytes(32)), "spokes"));
    }

    [Fact]
    public void A_search_keeps_its_form_with_words_as_tokens()
    {
        var indexKey = BlindIndex.IndexKey(Key);
        string Token(string word) => BlindIndex.Tokens(indexKey, word)!;

        Assert.Equal($"{Token("quick")} {Token("fox")}", BlindIndex.Query(indexKey, "Quick  FOX"));
        Assert.Equal($"\"{Token("brown")} {Token("fox")}\" {Token("jumps")}", BlindIndex.Query(indexKey, "\"brown fox\" jumps"));
        Assert.Equal($"\"{Token("e")} {Token("mail")}\"", BlindIndex.Query(indexKey, "e-mail"));
        Assert.Equal(Token("open"), BlindIndex.Query(indexKey, "\"open"));
        Assert.Equal("", BlindIndex.Query(indexKey, "\"\" !!"));
    }
}
