// Drives SAP's node-rfc binding, unmodified, against the stub SAP system: open, ping, post
// and commit a KRW document, read it back from BKPF, post an unbalanced one, post through a
// pool in parallel, and fail a logon. Connection parameters come from the environment
// (STUB_SAP_ASHOST, STUB_SAP_GWSERV) and the inspection API's address from STUB_SAP_HTTP;
// the exit code is non-zero on the first failed check. At the end the stub's
// /stub/documents must hold exactly the committed documents, Korean texts intact, so run it
// against a freshly started stub.

import assert from "node:assert/strict";
import noderfc from "node-rfc";

const { Client, Pool } = noderfc;

const connection = {
  ashost: process.env.STUB_SAP_ASHOST ?? "127.0.0.1",
  gwserv: process.env.STUB_SAP_GWSERV ?? "3300",
  sysnr: "00",
  client: "100",
  user: "BIZSAP",
  passwd: process.env.STUB_SAP_PASSWORD ?? "stub-password",
  lang: "EN",
};

const http = process.env.STUB_SAP_HTTP ?? "http://127.0.0.1:8000";

// A date in an open period of the example master data, whatever the clock says.
const postingDate = "20260315";

/** A KRW document: expense on a cost centre against the corporate-card payable. */
function document(reference, amount, credit = amount) {
  return {
    DOCUMENTHEADER: {
      BUS_ACT: "RFBU",
      USERNAME: "BIZSAP",
      COMP_CODE: "1000",
      DOC_DATE: postingDate,
      PSTNG_DATE: postingDate,
      DOC_TYPE: "SA",
      REF_DOC_NO: reference,
      HEADER_TXT: "법인카드 식대 node-rfc",
    },
    ACCOUNTGL: [
      {
        ITEMNO_ACC: "1",
        GL_ACCOUNT: "0000081110",
        ITEM_TEXT: "팀 점심 식대",
        COSTCENTER: "0000010100",
      },
      { ITEMNO_ACC: "2", GL_ACCOUNT: "0000025300", ITEM_TEXT: "KB국민카드 미지급금" },
    ],
    CURRENCYAMOUNT: [
      { ITEMNO_ACC: "1", CURRENCY: "KRW", AMT_DOCCUR: String(amount) },
      { ITEMNO_ACC: "2", CURRENCY: "KRW", AMT_DOCCUR: String(-credit) },
    ],
  };
}

function errors(result) {
  return result.RETURN.filter((row) => row.TYPE === "E" || row.TYPE === "A");
}

/** Posts and commits one document on one client; returns its object key. */
async function postAndCommit(client, reference, amount) {
  const posted = await client.call("BAPI_ACC_DOCUMENT_POST", document(reference, amount));
  assert.deepEqual(errors(posted), [], `${reference} was rejected`);
  const lead = posted.RETURN.find((row) => row.ID === "RW" && row.NUMBER === "605");
  assert.ok(lead, `${reference}: no RW 605 in ${JSON.stringify(posted.RETURN)}`);
  assert.match(posted.OBJ_KEY, /^\d{10}1000\d{4}$/, `${reference}: OBJ_KEY`);
  assert.equal(posted.OBJ_TYPE, "BKPFF");

  const committed = await client.call("BAPI_TRANSACTION_COMMIT", { WAIT: "X" });
  assert.notEqual(committed.RETURN.TYPE, "E", `${reference}: commit failed`);
  return posted.OBJ_KEY;
}

async function main() {
  const keys = [];
  const client = new Client(connection);
  await client.open();
  assert.ok(client.alive, "the client is not alive after open");
  assert.equal(client.connectionInfo.sysId, "STB");
  assert.equal(client.connectionInfo.client, "100");
  assert.equal(await client.ping(), true);

  const reference = `NODE-${process.pid}`.slice(0, 16);
  const key = await postAndCommit(client, reference, 55000);
  keys.push(key);

  const read = await client.call("RFC_READ_TABLE", {
    QUERY_TABLE: "BKPF",
    DELIMITER: "|",
    FIELDS: [{ FIELDNAME: "BELNR" }, { FIELDNAME: "BUKRS" }, { FIELDNAME: "GJAHR" }, {
      FIELDNAME: "XBLNR",
    }, { FIELDNAME: "BKTXT" }],
    OPTIONS: [{ TEXT: `XBLNR = '${reference}'` }],
  });
  assert.equal(read.DATA.length, 1, `BKPF rows for ${reference}`);
  const [belnr, bukrs, gjahr, xblnr, bktxt] = read.DATA[0].WA.split("|").map((s) => s.trim());
  assert.equal(`${belnr}${bukrs}${gjahr}`, key);
  assert.equal(xblnr, reference);
  assert.equal(bktxt, "법인카드 식대 node-rfc");

  const unbalanced = await client.call(
    "BAPI_ACC_DOCUMENT_POST",
    document(`${reference}-U`.slice(0, 16), 10000, 9000),
  );
  assert.ok(errors(unbalanced).length > 0, "the unbalanced document was not rejected");
  await client.call("BAPI_TRANSACTION_ROLLBACK", {});
  await client.close();

  const pool = new Pool({ connectionParameters: connection, clientOptions: {} });
  const parallel = await Promise.all(
    [1, 2, 3, 4].map(async (n) => {
      const pooled = await pool.acquire();
      try {
        return await postAndCommit(pooled, `${reference}-P${n}`.slice(0, 16), 1000 * n);
      } finally {
        await pool.release(pooled);
      }
    }),
  );
  keys.push(...parallel);
  await pool.closeAll();

  const wrong = new Client({ ...connection, passwd: "wrong-password" });
  await assert.rejects(wrong.open(), (error) => {
    assert.equal(error.code, 2, JSON.stringify(error));
    assert.equal(error.key, "RFC_LOGON_FAILURE");
    assert.equal(error.codeString, "RFC_LOGON_FAILURE");
    assert.equal(error.group, 3);
    return true;
  });

  const stored = await (await fetch(`${http}/stub/documents`)).json();
  assert.deepEqual(stored.map((doc) => doc.obj_key).sort(), [...keys].sort());
  for (const doc of stored) {
    assert.equal(doc.BKTXT, "법인카드 식대 node-rfc");
    assert.deepEqual(doc.items.map((item) => item.text), ["팀 점심 식대", "KB국민카드 미지급금"]);
  }
  console.log(`node-rfc against the stub: ${keys.length} documents committed and stored.`);
}

main().catch((error) => {
  console.error("node-rfc check failed:", error);
  process.exit(1);
});
