using System.Buffers.Binary;
using System.Text;

namespace Ssm.Engine.IO;

/// <summary>A restricted unpickler: it interprets only the protocol-2+ opcodes that <c>torch.save</c> writes
/// for a state dict and builds plain values (see PickleValues.cs). Globals are resolved by the caller, which
/// throws for anything not on its whitelist; REDUCE applies only <see cref="IPickleCallable"/> objects the
/// caller handed out; BUILD only sets attributes of a dict. No other opcode is executed and no type is ever
/// instantiated by name, so a hostile pickle can at worst be rejected. Every failure is a
/// <see cref="TorchCheckpointException"/> naming the file, the byte offset and the opcode or global.</summary>
internal sealed class PickleReader
{
    /// <summary>Maps a GLOBAL (module, name) to an object; throws <see cref="InvalidDataException"/> when the
    /// global is not allowed.</summary>
    public delegate object GlobalResolver(string module, string name);

    /// <summary>Maps a BINPERSID id to an object; throws <see cref="InvalidDataException"/> when malformed.</summary>
    public delegate object PersistentLoader(object? pid);

    private const int MaxGlobalLineLength = 256;

    private readonly byte[] _data;
    private readonly string _path;
    private readonly string _what;
    private readonly GlobalResolver _resolveGlobal;
    private readonly PersistentLoader _persistentLoad;
    private readonly List<object?> _stack = new();
    private readonly List<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;
    private int _opStart;

    private PickleReader(byte[] data, string path, string what, GlobalResolver resolveGlobal,
        PersistentLoader persistentLoad)
    {
        _data = data;
        _path = path;
        _what = what;
        _resolveGlobal = resolveGlobal;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Unpickles <paramref name="data"/> (the bytes of entry <paramref name="what"/> inside file
    /// <paramref name="path"/>) and returns the object STOP yields.</summary>
    public static object? Load(byte[] data, string path, string what, GlobalResolver resolveGlobal,
        PersistentLoader persistentLoad) =>
        new PickleReader(data, path, what, resolveGlobal, persistentLoad).Run();

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Fail("truncated pickle: ended before STOP");
            _opStart = _pos;
            byte op = _data[_pos++];
            try
            {
                if (op == (byte)'.') return Pop();
                Execute(op);
            }
            catch (InvalidDataException e)
            {
                throw Fail($"{OpName(op)}: {e.Message}", e);
            }
        }
    }

    private void Execute(byte op)
    {
        switch (op)
        {
            case 0x80: // PROTO
                byte proto = ReadByte();
                if (proto < 2 || proto > 5) throw new InvalidDataException($"unsupported protocol {proto}");
                break;
            case 0x95: // FRAME: a buffering hint; the whole pickle is already in memory
                ulong frame = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
                if (frame > (ulong)(_data.Length - _pos))
                    throw new InvalidDataException($"frame of {frame} bytes runs past the end of the pickle");
                break;
            case (byte)'(': _marks.Add(_stack.Count); break; // MARK
            case (byte)'}': _stack.Add(new PickleDict()); break; // EMPTY_DICT
            case (byte)']': _stack.Add(new List<object?>()); break; // EMPTY_LIST
            case (byte)')': _stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
            case (byte)'t': _stack.Add(PopMark()); break; // TUPLE
            case 0x85: _stack.Add(new[] { Pop() }); break; // TUPLE1
            case 0x86: // TUPLE2
            {
                object? b = Pop(), a = Pop();
                _stack.Add(new[] { a, b });
                break;
            }
            case 0x87: // TUPLE3
            {
                object? c = Pop(), b = Pop(), a = Pop();
                _stack.Add(new[] { a, b, c });
                break;
            }
            case (byte)'a': // APPEND
            {
                object? v = Pop();
                TopAs<List<object?>>("APPEND target").Add(v);
                break;
            }
            case (byte)'e': // APPENDS
            {
                object?[] items = PopMark();
                TopAs<List<object?>>("APPENDS target").AddRange(items);
                break;
            }
            case (byte)'s': // SETITEM
            {
                object? v = Pop(), k = Pop();
                TopAs<PickleDict>("SETITEM target").Set(k, v);
                break;
            }
            case (byte)'u': // SETITEMS
            {
                object?[] items = PopMark();
                if (items.Length % 2 != 0) throw new InvalidDataException("odd number of items");
                var dict = TopAs<PickleDict>("SETITEMS target");
                for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                break;
            }
            case (byte)'q': _memo[ReadByte()] = Top(); break; // BINPUT
            case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(); break; // LONG_BINPUT
            case 0x94: _memo[_memo.Count] = Top(); break; // MEMOIZE
            case (byte)'h': _stack.Add(MemoGet(ReadByte())); break; // BINGET
            case (byte)'j': _stack.Add(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
            case 0x88: _stack.Add(true); break; // NEWTRUE
            case 0x89: _stack.Add(false); break; // NEWFALSE
            case (byte)'N': _stack.Add(null); break; // NONE
            case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
            case (byte)'K': _stack.Add((long)ReadByte()); break; // BININT1
            case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
            case 0x8a: _stack.Add(ReadLong1()); break; // LONG1
            case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
            case (byte)'X': _stack.Add(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
            case 0x8c: _stack.Add(ReadString(ReadByte())); break; // SHORT_BINUNICODE
            case 0x8d: _stack.Add(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
            case (byte)'Q': _stack.Add(_persistentLoad(Pop())); break; // BINPERSID
            case (byte)'c': // GLOBAL
            {
                string module = ReadLine(), name = ReadLine();
                _stack.Add(_resolveGlobal(module, name));
                break;
            }
            case 0x93: // STACK_GLOBAL
            {
                object? name = Pop(), module = Pop();
                if (module is not string m || name is not string n)
                    throw new InvalidDataException("module and name must be strings");
                _stack.Add(_resolveGlobal(m, n));
                break;
            }
            case (byte)'R': // REDUCE
            {
                object? args = Pop(), callable = Pop();
                if (callable is not IPickleCallable f)
                    throw new InvalidDataException($"cannot call a {TypeName(callable)}; only whitelisted "
                        + "functions may be called");
                if (args is not object?[] tuple)
                    throw new InvalidDataException($"arguments of {f.QualifiedName} are a {TypeName(args)}, "
                        + "not a tuple");
                _stack.Add(f.Call(tuple));
                break;
            }
            case (byte)'b': // BUILD: only an OrderedDict's instance dict (state_dict()._metadata) is accepted
            {
                object? state = Pop();
                object? target = Top();
                if (target is not PickleDict d || state is not (PickleDict or null))
                    throw new InvalidDataException($"cannot set the state of a {TypeName(target)} from a "
                        + $"{TypeName(state)}; only a dict's attributes may be built");
                d.Attributes = (PickleDict?)state;
                break;
            }
            default:
                throw new InvalidDataException("opcode is not allowed in a checkpoint (only the opcodes "
                    + "torch.save uses for a state dict are accepted)");
        }
    }

    private object? Pop()
    {
        int fence = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= fence) throw new InvalidDataException("stack underflow");
        object? v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Top()
    {
        if (_stack.Count == 0) throw new InvalidDataException("stack underflow");
        return _stack[^1];
    }

    private T TopAs<T>(string what) where T : class =>
        Top() as T ?? throw new InvalidDataException($"{what} is a {TypeName(_stack[^1])}");

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("no MARK on the stack");
        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        object?[] items = _stack.GetRange(mark, _stack.Count - mark).ToArray();
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out var v) ? v : throw new InvalidDataException($"memo key {index} is not set");

    private byte ReadByte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count > _data.Length - _pos)
            throw new InvalidDataException($"needs {count} bytes, only {_data.Length - _pos} remain");
        var span = _data.AsSpan(_pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        if (n > 8) throw new InvalidDataException($"integer of {n} bytes does not fit in 64 bits");
        var bytes = Take(n);
        if (n == 0) return 0;
        long v = bytes[n - 1] >= 0x80 ? -1L : 0L; // two's complement, little-endian
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        return v;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private string ReadString(ulong length)
    {
        if (length > (ulong)(_data.Length - _pos))
            throw new InvalidDataException($"string of {length} bytes runs past the end of the pickle");
        try
        {
            return StrictUtf8.GetString(Take((long)length));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("string is not valid UTF-8", e);
        }
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(MaxGlobalLineLength, _data.Length - _pos));
        if (end < 0) throw new InvalidDataException("unterminated module or name");
        var bytes = _data.AsSpan(_pos, end - _pos);
        foreach (byte b in bytes)
            if (b < 0x20 || b > 0x7e) throw new InvalidDataException("module or name is not printable ASCII");
        _pos = end + 1;
        return Encoding.ASCII.GetString(bytes);
    }

    private TorchCheckpointException Fail(string message, Exception? inner = null) =>
        new(_path, null, $"{_what} offset {_opStart}: {message}", inner);

    /// <summary>A short Python-like type name, for messages.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "None",
        string => "str",
        long => "int",
        double => "float",
        bool => "bool",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        IPickleCallable c => c.QualifiedName,
        _ => v.ToString() ?? v.GetType().Name,
    };

    /// <summary>The pickle name of an opcode byte, with its value, for messages.</summary>
    public static string OpName(byte op)
    {
        string name = op switch
        {
            (byte)'I' => "INT", (byte)'L' => "LONG", 0x8b => "LONG4", (byte)'S' => "STRING",
            (byte)'T' => "BINSTRING", (byte)'U' => "SHORT_BINSTRING", (byte)'B' => "BINBYTES",
            (byte)'C' => "SHORT_BINBYTES", 0x8e => "BINBYTES8", 0x96 => "BYTEARRAY8", 0x97 => "NEXT_BUFFER",
            0x98 => "READONLY_BUFFER", (byte)'V' => "UNICODE", (byte)'F' => "FLOAT", (byte)'l' => "LIST",
            (byte)'d' => "DICT", 0x8f => "EMPTY_SET", 0x90 => "ADDITEMS", 0x91 => "FROZENSET", (byte)'0' => "POP",
            (byte)'2' => "DUP", (byte)'1' => "POP_MARK", (byte)'g' => "GET", (byte)'p' => "PUT", 0x82 => "EXT1",
            0x83 => "EXT2", 0x84 => "EXT4", (byte)'i' => "INST", (byte)'o' => "OBJ", 0x81 => "NEWOBJ",
            0x92 => "NEWOBJ_EX", (byte)'P' => "PERSID",
            0x80 => "PROTO", 0x95 => "FRAME", (byte)'(' => "MARK", (byte)'}' => "EMPTY_DICT",
            (byte)']' => "EMPTY_LIST", (byte)')' => "EMPTY_TUPLE", (byte)'t' => "TUPLE", 0x85 => "TUPLE1",
            0x86 => "TUPLE2", 0x87 => "TUPLE3", (byte)'a' => "APPEND", (byte)'e' => "APPENDS",
            (byte)'s' => "SETITEM", (byte)'u' => "SETITEMS", (byte)'q' => "BINPUT", (byte)'r' => "LONG_BINPUT",
            0x94 => "MEMOIZE", (byte)'h' => "BINGET", (byte)'j' => "LONG_BINGET", 0x88 => "NEWTRUE",
            0x89 => "NEWFALSE", (byte)'N' => "NONE", (byte)'J' => "BININT", (byte)'K' => "BININT1",
            (byte)'M' => "BININT2", 0x8a => "LONG1", (byte)'G' => "BINFLOAT", (byte)'X' => "BINUNICODE",
            0x8c => "SHORT_BINUNICODE", 0x8d => "BINUNICODE8", (byte)'Q' => "BINPERSID", (byte)'c' => "GLOBAL",
            0x93 => "STACK_GLOBAL", (byte)'R' => "REDUCE", (byte)'b' => "BUILD", (byte)'.' => "STOP",
            _ => "unknown opcode",
        };
        return $"{name} (0x{op:x2})";
    }
}
