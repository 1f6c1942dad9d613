//! The formula engine: IronCalc, given the workbook's bytes, on a thread of its own with
//! a deadline, its panics caught.

use super::{
    Computed, EVALUATION_DEADLINE, Evaluated, FormulaError, MAX_FORMULAS, RecalcError, SheetValues,
    cell_name,
};
use ironcalc::base::Model;
use ironcalc::base::expressions::token::Error as EngineError;
use ironcalc::base::types::{Cell, FormulaValue};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

/// Stack for the engine's thread: deep chains of formulas recurse (the engine also
/// bounds its own recursion, see `set_max_evaluation_stack`).
const STACK_BYTES: usize = 64 << 20;

/// Loads and evaluates the workbook; gives up after [`EVALUATION_DEADLINE`].
pub(super) fn evaluate(xlsx: Vec<u8>) -> Result<Evaluated, RecalcError> {
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("recalc".to_owned())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| load_and_evaluate(&xlsx)))
                .unwrap_or_else(|_| {
                    Err(RecalcError::Unreadable(
                        "the formula engine failed on its contents".to_owned(),
                    ))
                });
            // The caller may have given up waiting; then nobody needs the result.
            let _ = sender.send(result);
        })
        .map_err(|e| RecalcError::Unreadable(format!("no thread for the formula engine ({e})")))?;
    match receiver.recv_timeout(EVALUATION_DEADLINE) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(RecalcError::TimedOut),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(RecalcError::Unreadable(
            "the formula engine stopped without a result".to_owned(),
        )),
    }
}

fn load_and_evaluate(xlsx: &[u8]) -> Result<Evaluated, RecalcError> {
    let mut workbook = ironcalc::import::load_from_xlsx_bytes(xlsx, "workbook", "en", "UTC")
        .map_err(|e| RecalcError::Unreadable(e.to_string()))?;
    let mut formulas = 0;
    for sheet in &mut workbook.worksheets {
        // The engine evaluates conditional formats when it builds its model, and nothing
        // here needs them: on real workbooks that alone can take minutes.
        sheet.conditional_formatting.clear();
        formulas += sheet
            .sheet_data
            .cells()
            .filter(|(_, _, cell)| is_formula(cell))
            .count();
    }
    if formulas > MAX_FORMULAS {
        return Err(RecalcError::TooLarge(format!(
            "{formulas} formulas; the limit is {MAX_FORMULAS}"
        )));
    }
    let mut model = Model::from_workbook(workbook, "en").map_err(RecalcError::Unreadable)?;
    model.evaluate();
    let mut evaluated = Evaluated::default();
    for sheet in &model.workbook.worksheets {
        let mut values = SheetValues {
            name: sheet.name.clone(),
            ..SheetValues::default()
        };
        for (row, col, cell) in sheet.sheet_data.cells() {
            let value = match &*cell {
                Cell::CellFormula { v, .. } | Cell::ArrayFormula { v, .. } => v,
                _ => continue,
            };
            let (Ok(row), Ok(col)) = (u32::try_from(row), u32::try_from(col)) else {
                continue;
            };
            match computed(value) {
                Ok(value) => {
                    values.cells.insert((row, col), value);
                }
                Err(reason) => evaluated
                    .unevaluated
                    .push((cell_name(&sheet.name, row, col), reason)),
            }
        }
        evaluated.sheets.push(values);
    }
    Ok(evaluated)
}

fn is_formula(cell: &Cell) -> bool {
    matches!(cell, Cell::CellFormula { .. } | Cell::ArrayFormula { .. })
}

/// The engine's result as a value, or why the engine has none (a function it does not
/// implement, a circular reference): Excel would compute these, so they are no errors.
fn computed(value: &FormulaValue) -> Result<Computed, String> {
    Ok(match value {
        FormulaValue::Unevaluated => return Err("not evaluated".to_owned()),
        FormulaValue::Boolean(b) => Computed::Bool(*b),
        FormulaValue::Number(n) => Computed::Number(*n),
        FormulaValue::Text(text) => Computed::Text(text.clone()),
        FormulaValue::Error { ei, d } => {
            let unsupported = d.m.starts_with("Invalid function")
                || d.m.to_ascii_lowercase().contains("not implemented");
            let error = match ei {
                _ if unsupported => None,
                EngineError::REF => Some(FormulaError::Ref),
                EngineError::NAME => Some(FormulaError::Name),
                EngineError::VALUE => Some(FormulaError::Value),
                EngineError::DIV => Some(FormulaError::DivZero),
                EngineError::NA => Some(FormulaError::NotAvailable),
                EngineError::NUM => Some(FormulaError::Num),
                EngineError::NULL => Some(FormulaError::Null),
                EngineError::SPILL => Some(FormulaError::Spill),
                EngineError::CALC => Some(FormulaError::Calc),
                EngineError::ERROR | EngineError::NIMPL | EngineError::CIRC => None,
            };
            match error {
                Some(error) => Computed::Error(error),
                None => {
                    return Err(format!(
                        "the formula engine cannot calculate it ({}: {})",
                        ei, d.m
                    ));
                }
            }
        }
    })
}
