//! The accounting interface's checks: BAPI input, in its generic shape, parsed into a
//! document and checked the way BAPI_ACC_DOCUMENT_CHECK and BAPI_ACC_DOCUMENT_POST check it.
//!
//! The checks run in three passes, each only when the one before found nothing, because a
//! later pass cannot trust what an earlier one refused:
//!
//! 1. form: every field known to its structure, within its length, of its type; a header
//!    and at least one line item;
//! 2. the document as a whole: line items numbered uniquely, each with an amount in
//!    transaction currency, amounts within the currency's decimals, debits equal to credits,
//!    a known company code, an open posting period;
//! 3. each line against master data: accounts, vendors, cost centres, tax codes, tax
//!    amounts, business places.
//!
//! Within a pass every problem is reported, so a caller sees all of them at once, as SAP
//! answers. Numbers are looked up exactly as sent: `81100` is not `0000081100`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::{Decimal, RoundingStrategy};

use super::call::{Parameters, Structure};
use super::ledger::{ItemKind, LineItem};
use super::master_data::{CompanyCode, MasterData};
use super::messages::{self as msg, BapiReturn, MessageDef};
use super::metadata::{self, AbapType, StructureDesc, ValueProblem, parse_dats, parse_decimal};

/// The reference procedure of documents posted without a caller's own object type.
pub const BKPFF: &str = "BKPFF";

pub(crate) const HEADER: &str = "DOCUMENTHEADER";
const CURRENCY_TABLE: &str = "CURRENCYAMOUNT";

/// The item tables of the interface, in the order SAP reads them.
const ITEM_TABLES: [(&str, ItemKind, &StructureDesc); 3] = [
    ("ACCOUNTGL", ItemKind::Gl, &metadata::BAPIACGL09),
    ("ACCOUNTPAYABLE", ItemKind::Vendor, &metadata::BAPIACAP09),
    ("ACCOUNTTAX", ItemKind::Tax, &metadata::BAPIACTX09),
];

/// Tables checked for form only: the stub has no customer exit that would read them.
const EXTENSION_TABLES: [(&str, &StructureDesc); 2] = [
    ("EXTENSION1", &metadata::BAPIACEXTC),
    ("EXTENSION2", &metadata::BAPIPAREX),
];

/// A document that passed every check, ready for a number.
#[derive(Clone, Debug)]
pub(crate) struct CheckedDocument {
    pub header: CheckedHeader,
    pub fiscal_year: i16,
    /// Line items in ITEMNO_ACC order, numbered from 1.
    pub items: Vec<LineItem>,
}

#[derive(Clone, Debug)]
pub(crate) struct CheckedHeader {
    pub obj_type: String,
    /// The caller's own reference key; `None` for BKPFF, whose key SAP builds.
    pub obj_key: Option<String>,
    pub obj_sys: String,
    pub company_code: String,
    pub doc_type: String,
    pub posting_date: String,
    pub document_date: String,
    pub reference: String,
    pub header_text: String,
    pub user: String,
}

/// The lead message SAP puts before the errors of a document (RW 609), with the document's
/// reference as far as the header gives it.
pub(crate) fn lead_message(params: &Parameters, master: &MasterData) -> BapiReturn {
    let header = params.structure(HEADER);
    let field = |name| header.map_or("", |h| text(h, name));
    let obj_type = non_blank(field("OBJ_TYPE")).unwrap_or(BKPFF);
    let obj_key = match obj_type {
        BKPFF => "$",
        _ => field("OBJ_KEY"),
    };
    let obj_sys = non_blank(field("OBJ_SYS")).unwrap_or(&master.system.logical_system);
    BapiReturn::error(&msg::DOCUMENT_ERROR, &[obj_type, obj_key, obj_sys])
}

/// Checks a document given as BAPI parameters; `user` is the session's, for USNAM.
pub(crate) fn check_document(
    master: &MasterData,
    params: &Parameters,
    user: &str,
) -> Result<CheckedDocument, Vec<BapiReturn>> {
    let errors = check_form(params);
    if !errors.is_empty() {
        return Err(errors);
    }
    let header = params.structure(HEADER).expect("checked by the form pass");

    let items = collect_items(params);
    let mut whole = WholeDocument::new(master, params, header, &items);
    whole.check();

    // The line checks need a company code and every item linked to its amounts; a balance
    // or period problem does not stop them, so the caller sees those problems together.
    let Some(company) = whole.company.filter(|_| whole.linked) else {
        return Err(whole.errors);
    };
    let posting_date = whole.posting_date();
    let lines = LineChecks {
        master,
        company,
        posting_date,
    };
    let checked_items = lines.check(&items, &whole.amounts);
    let mut errors = std::mem::take(&mut whole.errors);
    match (checked_items, whole.period) {
        (Ok(items), Some((fiscal_year, _))) if errors.is_empty() => {
            let header = whole.header(user);
            Ok(CheckedDocument {
                header,
                fiscal_year,
                items,
            })
        }
        (Ok(_), _) => Err(errors),
        (Err(line_errors), _) => {
            errors.extend(line_errors);
            Err(errors)
        }
    }
}

/// Pass 1: the form of every field, and a header and items at all.
fn check_form(params: &Parameters) -> Vec<BapiReturn> {
    let mut errors = Vec::new();
    let header = params.structure(HEADER);
    if let Some(header) = header {
        field_problems(HEADER, 0, &metadata::BAPIACHE09, header, &mut errors);
    }
    let tables = ITEM_TABLES
        .iter()
        .map(|(name, _, desc)| (*name, *desc))
        .chain([(CURRENCY_TABLE, &metadata::BAPIACCR09)])
        .chain(EXTENSION_TABLES);
    for (name, desc) in tables {
        for (index, row) in params.table(name).iter().enumerate() {
            field_problems(name, index + 1, desc, row, &mut errors);
        }
    }

    if header.is_none_or(|header| header.values().all(|value| value.trim().is_empty())) {
        errors.push(BapiReturn::error(&msg::NO_HEADER, &[]).at(HEADER, 0, ""));
    }
    if ITEM_TABLES
        .iter()
        .all(|(name, _, _)| params.table(name).is_empty())
    {
        errors.push(BapiReturn::error(&msg::NO_ITEMS, &[]));
    }
    errors
}

pub(crate) fn field_problems(
    parameter: &str,
    row: usize,
    desc: &StructureDesc,
    values: &Structure,
    errors: &mut Vec<BapiReturn>,
) {
    for problem in desc.check(values) {
        let field = problem.field.as_str();
        let message = match (problem.desc, problem.problem) {
            (None, _) => BapiReturn::error(&msg::UNKNOWN_FIELD, &[parameter, field]),
            (Some(desc), ValueProblem::TooLong { length }) => {
                let vars = [
                    parameter,
                    field,
                    &length.to_string(),
                    &desc.length.to_string(),
                ];
                BapiReturn::error(&msg::VALUE_TOO_LONG, &vars)
            }
            (Some(desc), ValueProblem::Invalid) => {
                let type_name = type_name(desc.abap_type, desc.length, desc.decimals);
                let vars = [parameter, field, values[field].as_str(), &type_name];
                BapiReturn::error(&msg::VALUE_INVALID, &vars)
            }
        };
        errors.push(message.at(parameter, row, field));
    }
}

fn type_name(abap_type: AbapType, length: u32, decimals: u32) -> String {
    match abap_type {
        AbapType::Char => format!("CHAR {length}"),
        AbapType::Numc => format!("NUMC {length}"),
        AbapType::Dats => "DATS, YYYYMMDD".to_owned(),
        AbapType::Bcd => format!("DEC {length},{decimals}"),
        AbapType::Int4 => "INT4".to_owned(),
    }
}

/// One row of an item table.
struct ItemRow<'a> {
    parameter: &'static str,
    row: usize,
    kind: ItemKind,
    itemno: u64,
    fields: &'a Structure,
}

impl ItemRow<'_> {
    fn get(&self, field: &str) -> &str {
        text(self.fields, field)
    }

    fn error(&self, def: &MessageDef, vars: &[&str], field: &str) -> BapiReturn {
        BapiReturn::error(def, vars).at(self.parameter, self.row, field)
    }
}

fn collect_items(params: &Parameters) -> Vec<ItemRow<'_>> {
    let mut items = Vec::new();
    for (parameter, kind, _) in ITEM_TABLES {
        for (index, fields) in params.table(parameter).iter().enumerate() {
            let itemno = text(fields, "ITEMNO_ACC").parse().unwrap_or(0);
            items.push(ItemRow {
                parameter,
                row: index + 1,
                kind,
                itemno,
                fields,
            });
        }
    }
    items
}

/// The transaction-currency amounts of one line item.
#[derive(Clone, Debug)]
struct ItemAmount {
    row: usize,
    currency: String,
    amount: Decimal,
    base: Option<Decimal>,
}

/// Pass 2: the document as a whole.
struct WholeDocument<'a> {
    master: &'a MasterData,
    params: &'a Parameters,
    header: &'a Structure,
    items: &'a [ItemRow<'a>],
    errors: Vec<BapiReturn>,
    company: Option<&'a CompanyCode>,
    period: Option<(i16, u8)>,
    /// ITEMNO_ACC → amounts in transaction currency (currency type 00).
    amounts: BTreeMap<u64, ItemAmount>,
    /// Every item has a unique number and exactly one amount in transaction currency.
    linked: bool,
}

impl<'a> WholeDocument<'a> {
    fn new(
        master: &'a MasterData,
        params: &'a Parameters,
        header: &'a Structure,
        items: &'a [ItemRow<'a>],
    ) -> Self {
        let (errors, company, period, amounts) = (Vec::new(), None, None, BTreeMap::new());
        Self {
            master,
            params,
            header,
            items,
            errors,
            company,
            period,
            amounts,
            linked: true,
        }
    }

    fn field(&self, name: &str) -> &'a str {
        text(self.header, name)
    }

    fn header_error(&mut self, def: &MessageDef, vars: &[&str], field: &str) {
        let error = BapiReturn::error(def, vars).at(HEADER, 0, field);
        self.errors.push(error);
    }

    /// Records an error in how items and amounts refer to each other.
    fn link_error(&mut self, error: BapiReturn) {
        self.linked = false;
        self.errors.push(error);
    }

    fn check(&mut self) {
        self.check_reference();
        self.check_item_numbers();
        self.check_amounts();
        self.check_balance();
        self.check_company_code();
        self.check_period();
        if self.field("DOC_DATE").is_empty() {
            self.header_error(&msg::REQUIRED_FIELD, &[HEADER, "DOC_DATE"], "DOC_DATE");
        }
    }

    fn check_reference(&mut self) {
        let obj_type = self.field("OBJ_TYPE");
        if !obj_type.is_empty() && obj_type != BKPFF && self.field("OBJ_KEY").is_empty() {
            self.header_error(&msg::REFERENCE_INITIAL, &[obj_type], "OBJ_KEY");
        }
    }

    fn check_item_numbers(&mut self) {
        let mut seen = BTreeSet::new();
        for item in self.items {
            if !seen.insert(item.itemno) {
                let itemno = itemno_text(item.itemno);
                self.link_error(item.error(&msg::ITEM_REPEATED, &[&itemno], "ITEMNO_ACC"));
            }
        }
    }

    /// Links currency rows to items and checks their decimals.
    fn check_amounts(&mut self) {
        let known: BTreeSet<u64> = self.items.iter().map(|item| item.itemno).collect();
        let mut types_seen: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();

        for (index, row) in self.params.table(CURRENCY_TABLE).iter().enumerate() {
            let at = |def: &MessageDef, vars: &[&str], field: &str| {
                BapiReturn::error(def, vars).at(CURRENCY_TABLE, index + 1, field)
            };
            let itemno: u64 = text(row, "ITEMNO_ACC").parse().unwrap_or(0);
            let itemno_text = itemno_text(itemno);
            let curr_type = non_blank(text(row, "CURR_TYPE")).unwrap_or("00");

            if !known.contains(&itemno) {
                let def = &msg::CURRENCY_ROW_WITHOUT_ITEM;
                self.link_error(at(def, &[&itemno_text], "ITEMNO_ACC"));
                continue;
            }
            if !types_seen
                .entry(itemno)
                .or_default()
                .insert(curr_type.to_owned())
            {
                let def = &msg::CURRENCY_ROW_REPEATED;
                self.link_error(at(def, &[&itemno_text, curr_type], "CURR_TYPE"));
                continue;
            }
            if curr_type != "00" {
                // Amounts in local or group currency are accepted and not modelled.
                continue;
            }

            let currency = non_blank(text(row, "CURRENCY"))
                .or_else(|| non_blank(text(row, "CURRENCY_ISO")))
                .unwrap_or_default()
                .to_owned();
            if currency.is_empty() {
                let def = &msg::NO_DOCUMENT_CURRENCY;
                self.link_error(at(def, &[&itemno_text], "CURRENCY"));
                continue;
            }

            let decimals = self.master.currency_decimals(&currency);
            let mut amount_of = |field: &str| {
                let raw = text(row, field);
                let value = parse_decimal(raw)?;
                if value.normalize().scale() > decimals {
                    let vars = [raw, currency.as_str(), &decimals.to_string()];
                    self.errors.push(at(&msg::TOO_MANY_DECIMALS, &vars, field));
                }
                Some(value)
            };
            let amount = amount_of("AMT_DOCCUR").unwrap_or_default();
            let base = amount_of("AMT_BASE");
            let value = ItemAmount {
                row: index + 1,
                currency,
                amount,
                base,
            };
            self.amounts.insert(itemno, value);
        }

        for item in self.items {
            let seen = types_seen.get(&item.itemno);
            let itemno = itemno_text(item.itemno);
            let def = match seen {
                None => &msg::NO_CURRENCY_ROW,
                Some(types) if !types.contains("00") => &msg::NO_DOCUMENT_CURRENCY,
                Some(_) => continue,
            };
            self.link_error(item.error(def, &[&itemno], "ITEMNO_ACC"));
        }
    }

    fn check_balance(&mut self) {
        let mut balances: BTreeMap<&str, Decimal> = BTreeMap::new();
        for amount in self.amounts.values() {
            *balances.entry(&amount.currency).or_default() += amount.amount;
        }
        let obj_type = non_blank(self.field("OBJ_TYPE")).unwrap_or(BKPFF);
        for (currency, balance) in balances {
            if !balance.is_zero() {
                let balance = balance.normalize().to_string();
                let vars = [obj_type, &balance, currency];
                let message = BapiReturn::error(&msg::UNBALANCED, &vars);
                self.errors
                    .push(message.at(CURRENCY_TABLE, 0, "AMT_DOCCUR"));
            }
        }
    }

    fn check_company_code(&mut self) {
        let code = self.field("COMP_CODE");
        if code.is_empty() {
            self.header_error(&msg::REQUIRED_FIELD, &[HEADER, "COMP_CODE"], "COMP_CODE");
            return;
        }
        self.company = self.master.company_codes.get(code);
        if self.company.is_none() {
            self.header_error(&msg::COMPANY_CODE_UNKNOWN, &[code], "COMP_CODE");
        }
    }

    fn check_period(&mut self) {
        let date = self.field("PSTNG_DATE");
        let Some(date) = parse_dats(date) else {
            self.header_error(&msg::REQUIRED_FIELD, &[HEADER, "PSTNG_DATE"], "PSTNG_DATE");
            return;
        };
        let period = (date.year(), date.month() as u8);
        self.period = Some(period);
        let Some(company) = self.company else {
            return;
        };
        if !company.is_period_open(period.0, period.1) {
            let vars = [&format!("{:03}", period.1), &period.0.to_string()];
            let vars = vars.map(String::as_str);
            self.header_error(&msg::PERIOD_CLOSED, &vars, "PSTNG_DATE");
        }
    }

    fn posting_date(&self) -> &'a str {
        self.field("PSTNG_DATE")
    }

    fn header(&self, session_user: &str) -> CheckedHeader {
        let obj_type = non_blank(self.field("OBJ_TYPE"))
            .unwrap_or(BKPFF)
            .to_owned();
        let obj_key = (obj_type != BKPFF).then(|| self.field("OBJ_KEY").to_owned());
        let obj_sys =
            non_blank(self.field("OBJ_SYS")).unwrap_or(&self.master.system.logical_system);
        CheckedHeader {
            obj_type,
            obj_key,
            obj_sys: obj_sys.to_owned(),
            company_code: self.field("COMP_CODE").to_owned(),
            doc_type: self.field("DOC_TYPE").to_owned(),
            posting_date: self.field("PSTNG_DATE").to_owned(),
            document_date: self.field("DOC_DATE").to_owned(),
            reference: self.field("REF_DOC_NO").to_owned(),
            header_text: self.field("HEADER_TXT").to_owned(),
            user: non_blank(self.field("USERNAME"))
                .unwrap_or(session_user)
                .to_owned(),
        }
    }
}

/// Pass 3: each line against master data.
struct LineChecks<'a> {
    master: &'a MasterData,
    company: &'a CompanyCode,
    posting_date: &'a str,
}

impl LineChecks<'_> {
    fn check(
        &self,
        items: &[ItemRow<'_>],
        amounts: &BTreeMap<u64, ItemAmount>,
    ) -> Result<Vec<LineItem>, Vec<BapiReturn>> {
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        for item in items {
            let amount = &amounts[&item.itemno];
            match self.check_item(item, amount) {
                Ok(line) => lines.push(line),
                Err(mut item_errors) => errors.append(&mut item_errors),
            }
        }
        self.check_business_place(items, &lines, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }

        lines.sort_by_key(|line| line.itemno_acc.clone());
        for (index, line) in lines.iter_mut().enumerate() {
            line.item = u16::try_from(index + 1).unwrap_or(u16::MAX);
        }
        Ok(lines)
    }

    fn check_item(
        &self,
        item: &ItemRow<'_>,
        amount: &ItemAmount,
    ) -> Result<LineItem, Vec<BapiReturn>> {
        let mut errors = Vec::new();
        let company_code = item.get("COMP_CODE");
        if !company_code.is_empty() && company_code != self.company.code {
            let vars = [itemno_text(item.itemno), company_code.to_owned()];
            let vars = vars.each_ref().map(String::as_str);
            errors.push(item.error(&msg::CROSS_COMPANY, &vars, "COMP_CODE"));
        }

        let account = match item.kind {
            ItemKind::Gl => self.gl_account(item, &mut errors),
            ItemKind::Vendor => self.vendor_account(item, &mut errors),
            ItemKind::Tax => self.tax_account(item, amount, &mut errors),
        };
        if item.kind == ItemKind::Gl {
            self.check_cost_centre(item, account.as_deref(), &mut errors);
        }
        if item.kind != ItemKind::Tax {
            self.check_tax_code_exists(item, &mut errors);
            self.check_business_place_known(item, &mut errors);
        }
        match account {
            Some(account) if errors.is_empty() => Ok(self.line(item, amount, account)),
            _ => Err(errors),
        }
    }

    /// Looks up an account exactly as sent; `None` (with an error) when absent or unknown.
    fn known_account(
        &self,
        item: &ItemRow<'_>,
        account: &str,
        errors: &mut Vec<BapiReturn>,
    ) -> Option<String> {
        if self.master.gl_accounts.contains_key(account) {
            return Some(account.to_owned());
        }
        let chart = self.company.chart_of_accounts.as_str();
        errors.push(item.error(&msg::ACCOUNT_NOT_IN_CHART, &[account, chart], "GL_ACCOUNT"));
        None
    }

    fn gl_account(&self, item: &ItemRow<'_>, errors: &mut Vec<BapiReturn>) -> Option<String> {
        let account = item.get("GL_ACCOUNT");
        if account.is_empty() {
            let vars = [item.parameter, "GL_ACCOUNT"];
            errors.push(item.error(&msg::REQUIRED_FIELD, &vars, "GL_ACCOUNT"));
            return None;
        }
        self.known_account(item, account, errors)
    }

    fn vendor_account(&self, item: &ItemRow<'_>, errors: &mut Vec<BapiReturn>) -> Option<String> {
        let vendor_no = item.get("VENDOR_NO");
        if vendor_no.is_empty() {
            let vars = [item.parameter, "VENDOR_NO"];
            errors.push(item.error(&msg::REQUIRED_FIELD, &vars, "VENDOR_NO"));
            return None;
        }
        let Some(vendor) = self.company.vendors.get(vendor_no) else {
            let vars = [vendor_no, self.company.code.as_str()];
            errors.push(item.error(&msg::VENDOR_NOT_IN_COMPANY_CODE, &vars, "VENDOR_NO"));
            return None;
        };
        match item.get("GL_ACCOUNT") {
            "" => Some(vendor.reconciliation_account.clone()),
            account => self.known_account(item, account, errors),
        }
    }

    fn tax_account(
        &self,
        item: &ItemRow<'_>,
        amount: &ItemAmount,
        errors: &mut Vec<BapiReturn>,
    ) -> Option<String> {
        let code = item.get("TAX_CODE");
        if code.is_empty() {
            let vars = [item.parameter, "TAX_CODE"];
            errors.push(item.error(&msg::REQUIRED_FIELD, &vars, "TAX_CODE"));
            return None;
        }
        let Some(tax_code) = self.master.tax_codes.get(code) else {
            errors.push(item.error(&msg::TAX_CODE_UNKNOWN, &[code], "TAX_CODE"));
            return None;
        };

        let decimals = self.master.currency_decimals(&amount.currency);
        let base = amount.base.unwrap_or_default();
        let expected = (base * tax_code.rate / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
        let unit = Decimal::new(1, decimals);
        if (amount.amount - expected).abs() > unit {
            let entered = amount.amount.normalize().to_string();
            let correct = expected.normalize().to_string();
            let vars = [code, &entered, &correct, amount.currency.as_str()];
            let message = BapiReturn::error(&msg::TAX_INCORRECT, &vars);
            errors.push(message.at(CURRENCY_TABLE, amount.row, "AMT_DOCCUR"));
        }

        let account = match (item.get("GL_ACCOUNT"), &tax_code.account) {
            ("", Some(account)) => account.clone(),
            ("", None) => {
                errors.push(item.error(&msg::NO_TAX_ACCOUNT, &[code], "GL_ACCOUNT"));
                return None;
            }
            (given, _) => self.known_account(item, given, errors)?,
        };
        if !self.master.gl_accounts[&account].tax_account {
            errors.push(item.error(&msg::NOT_A_TAX_ACCOUNT, &[&account], "GL_ACCOUNT"));
            return None;
        }
        Some(account)
    }

    fn check_cost_centre(
        &self,
        item: &ItemRow<'_>,
        account: Option<&str>,
        errors: &mut Vec<BapiReturn>,
    ) {
        let cost_centre = item.get("COSTCENTER");
        let needs_one = account.is_some_and(|a| self.master.gl_accounts[a].cost_centre_required);
        if cost_centre.is_empty() {
            if needs_one {
                let account = account.unwrap_or_default();
                errors.push(item.error(&msg::CO_OBJECT_REQUIRED, &[account], "COSTCENTER"));
            }
            return;
        }

        let area = self.company.controlling_area.as_str();
        let date = display_date(self.posting_date);
        let vars = [area, cost_centre, date.as_str()];
        let centre = self
            .master
            .controlling_areas
            .get(area)
            .and_then(|controlling_area| controlling_area.cost_centres.get(cost_centre));
        match centre {
            None => errors.push(item.error(&msg::COST_CENTRE_UNKNOWN, &vars, "COSTCENTER")),
            Some(centre) if centre.locked => {
                errors.push(item.error(&msg::COST_CENTRE_LOCKED, &vars, "COSTCENTER"));
            }
            Some(_) => {}
        }
    }

    fn check_tax_code_exists(&self, item: &ItemRow<'_>, errors: &mut Vec<BapiReturn>) {
        let code = item.get("TAX_CODE");
        if !code.is_empty() && !self.master.tax_codes.contains_key(code) {
            errors.push(item.error(&msg::TAX_CODE_UNKNOWN, &[code], "TAX_CODE"));
        }
    }

    fn check_business_place_known(&self, item: &ItemRow<'_>, errors: &mut Vec<BapiReturn>) {
        let place = item.get("BUSINESSPLACE");
        if !place.is_empty() && !self.company.business_places.contains_key(place) {
            let vars = [place, self.company.code.as_str()];
            errors.push(item.error(&msg::BUSINESS_PLACE_UNKNOWN, &vars, "BUSINESSPLACE"));
        }
    }

    /// Korean VAT needs a business place on every document with a tax line; it may come on
    /// a vendor line or, without one, on a G/L line.
    fn check_business_place(
        &self,
        items: &[ItemRow<'_>],
        lines: &[LineItem],
        errors: &mut Vec<BapiReturn>,
    ) {
        let Some(tax_item) = items.iter().find(|item| item.kind == ItemKind::Tax) else {
            return;
        };
        if items
            .iter()
            .any(|item| !item.get("BUSINESSPLACE").is_empty())
        {
            return;
        }
        let tax_account = lines
            .iter()
            .find(|line| line.itemno_acc == itemno_text(tax_item.itemno))
            .map(|line| line.account.as_str())
            .unwrap_or_default();
        let vars = ["Business place", self.company.code.as_str(), tax_account];
        let target = items
            .iter()
            .find(|item| item.kind == ItemKind::Vendor)
            .or_else(|| items.iter().find(|item| item.kind == ItemKind::Gl))
            .unwrap_or(tax_item);
        errors.push(target.error(&msg::REQUIRED_FOR_ACCOUNT, &vars, "BUSINESSPLACE"));
    }

    fn line(&self, item: &ItemRow<'_>, amount: &ItemAmount, account: String) -> LineItem {
        let decimals = self.master.currency_decimals(&amount.currency);
        let scaled = |mut value: Decimal| {
            value.rescale(decimals);
            value
        };
        let optional = |field: &str| non_blank(item.get(field)).map(str::to_owned);
        LineItem {
            item: 0,
            itemno_acc: itemno_text(item.itemno),
            kind: item.kind,
            account,
            vendor: optional("VENDOR_NO").filter(|_| item.kind == ItemKind::Vendor),
            amount: scaled(amount.amount),
            currency: amount.currency.clone(),
            tax_code: optional("TAX_CODE"),
            tax_base: amount
                .base
                .filter(|_| item.kind == ItemKind::Tax)
                .map(scaled),
            cost_centre: optional("COSTCENTER"),
            business_place: optional("BUSINESSPLACE"),
            text: item.get("ITEM_TEXT").to_owned(),
        }
    }
}

/// A field's value with trailing blanks removed, as RFC hands CHAR values over.
fn text<'a>(row: &'a Structure, field: &str) -> &'a str {
    row.get(field).map_or("", |value| value.trim_end())
}

fn non_blank(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn itemno_text(itemno: u64) -> String {
    format!("{itemno:010}")
}

/// A DATS value as SAP shows dates to a Korean user: `YYYY.MM.DD`.
fn display_date(dats: &str) -> String {
    match parse_dats(dats) {
        Some(date) => format!("{:04}.{:02}.{:02}", date.year(), date.month(), date.day()),
        None => dats.to_owned(),
    }
}
