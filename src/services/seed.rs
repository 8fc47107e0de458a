//! Demo data: Tỉnh Đoàn An Giang, its 11 district-level units (as organised before the 2025
//! reorganisation of local government) and a few grassroots units under each. Loaded into an
//! empty embedded database at first start and by `soiduong seed-demo` on any database;
//! idempotent (a unit is matched by its parent and name).

use crate::{
    domain::{paper::Purpose, unit::UnitKind},
    error::ApiResult,
    state::AppState,
    store,
};

use UnitKind::{Agency, Commune, District, School, Township, Ward};

type Grassroots = &'static [(&'static str, UnitKind)];

const PROVINCE: &str = "Tỉnh Đoàn An Giang";

const DISTRICTS: &[(&str, Grassroots)] = &[
    (
        "Thành Đoàn Long Xuyên",
        &[
            ("Đoàn phường Mỹ Bình", Ward),
            ("Đoàn phường Mỹ Long", Ward),
            ("Đoàn phường Mỹ Xuyên", Ward),
            ("Đoàn xã Mỹ Hòa Hưng", Commune),
            ("Đoàn trường THPT chuyên Thoại Ngọc Hầu", School),
        ],
    ),
    (
        "Thành Đoàn Châu Đốc",
        &[
            ("Đoàn phường Châu Phú A", Ward),
            ("Đoàn phường Núi Sam", Ward),
            ("Đoàn xã Vĩnh Tế", Commune),
            ("Đoàn trường THPT Thủ Khoa Nghĩa", School),
        ],
    ),
    (
        "Thị Đoàn Tân Châu",
        &[
            ("Đoàn phường Long Thạnh", Ward),
            ("Đoàn phường Long Hưng", Ward),
            ("Đoàn xã Châu Phong", Commune),
            ("Đoàn xã Vĩnh Xương", Commune),
        ],
    ),
    (
        "Thị Đoàn Tịnh Biên",
        &[
            ("Đoàn phường Nhà Bàng", Ward),
            ("Đoàn phường Chi Lăng", Ward),
            ("Đoàn xã An Cư", Commune),
        ],
    ),
    (
        "Huyện Đoàn An Phú",
        &[
            ("Đoàn thị trấn An Phú", Township),
            ("Đoàn thị trấn Long Bình", Township),
            ("Đoàn xã Khánh An", Commune),
            ("Đoàn xã Quốc Thái", Commune),
        ],
    ),
    (
        "Huyện Đoàn Phú Tân",
        &[
            ("Đoàn thị trấn Phú Mỹ", Township),
            ("Đoàn thị trấn Chợ Vàm", Township),
            ("Đoàn xã Hòa Lạc", Commune),
        ],
    ),
    (
        "Huyện Đoàn Châu Phú",
        &[
            ("Đoàn thị trấn Cái Dầu", Township),
            ("Đoàn xã Bình Long", Commune),
            ("Đoàn xã Mỹ Đức", Commune),
        ],
    ),
    (
        "Huyện Đoàn Tri Tôn",
        &[
            ("Đoàn thị trấn Tri Tôn", Township),
            ("Đoàn thị trấn Ba Chúc", Township),
            ("Đoàn xã Núi Tô", Commune),
        ],
    ),
    (
        "Huyện Đoàn Châu Thành",
        &[
            ("Đoàn thị trấn An Châu", Township),
            ("Đoàn xã Bình Hòa", Commune),
            ("Đoàn xã Cần Đăng", Commune),
            ("Chi đoàn Ủy ban nhân dân huyện Châu Thành", Agency),
        ],
    ),
    (
        "Huyện Đoàn Chợ Mới",
        &[
            ("Đoàn thị trấn Chợ Mới", Township),
            ("Đoàn thị trấn Mỹ Luông", Township),
            ("Đoàn xã Long Điền A", Commune),
            ("Đoàn xã Kiến An", Commune),
        ],
    ),
    (
        "Huyện Đoàn Thoại Sơn",
        &[
            ("Đoàn thị trấn Núi Sập", Township),
            ("Đoàn thị trấn Óc Eo", Township),
            ("Đoàn xã Vọng Thê", Commune),
            ("Đoàn trường THPT Nguyễn Văn Thoại", School),
        ],
    ),
];

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub units_added: usize,
    pub units_present: usize,
}

async fn ensure(
    state: &AppState,
    parent: Option<&entity::units::Model>,
    name: &str,
    kind: UnitKind,
    report: &mut SeedReport,
) -> ApiResult<entity::units::Model> {
    if let Some(existing) =
        store::units::find_child_by_name(&state.db, parent.map(|p| p.id), name).await?
    {
        report.units_present += 1;
        return Ok(existing);
    }
    report.units_added += 1;
    store::units::insert(&state.db, parent, name, kind, state.clock.now()).await
}

/// Loads the demo content that is missing; leaves what is there.
pub async fn seed_demo(state: &AppState) -> ApiResult<SeedReport> {
    let mut report = SeedReport::default();
    let province = ensure(state, None, PROVINCE, UnitKind::Province, &mut report).await?;
    for (district_name, grassroots) in DISTRICTS {
        let district = ensure(state, Some(&province), district_name, District, &mut report).await?;
        for (name, kind) in *grassroots {
            ensure(state, Some(&district), name, *kind, &mut report).await?;
        }
    }
    Ok(report)
}

/// Seeds an empty database (no unit at all); leaves a database with any unit untouched.
pub async fn seed_if_empty(state: &AppState) -> ApiResult<Option<SeedReport>> {
    if store::units::count(&state.db).await? > 0 {
        return Ok(None);
    }
    seed_demo(state).await.map(Some)
}

/// The demo contest: "Tự hào Việt Nam", owned by the province, with a round open now (a week,
/// 10 questions from the national history bank in 10 minutes, 3 attempts, a prediction
/// question). Idempotent by its slug; needs the shipped history bank. Returns its title when
/// it was created.
pub async fn seed_contest(state: &AppState) -> ApiResult<Option<String>> {
    use crate::{
        auth::Caller,
        domain::{
            paper::DrawRule,
            ranking::{PrizeRule, PrizeTier, RankingRule},
        },
        services::contests,
    };
    const SLUG: &str = "tu-hao-viet-nam";
    if store::contests::contest_by_slug(&state.db, SLUG)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let Some(province) = store::units::find_child_by_name(&state.db, None, PROVINCE).await? else {
        return Ok(None);
    };
    // The history bank must exist and may serve a contest (a database where lessons already
    // draw from it keeps it a practice bank: no demo contest then).
    let history = store::banks::by_slugs(&state.db, &["lich-su-viet-nam".to_owned()]).await?;
    let Some(bank) = history.first() else {
        return Ok(None);
    };
    if bank.purpose == Some(Purpose::Practice) {
        tracing::warn!("lich-su-viet-nam is a practice bank here: no demo contest");
        return Ok(None);
    }
    let system = Caller::system();
    let tier = |name: &str, count| PrizeTier {
        name: name.to_owned(),
        count,
    };
    let contest = contests::create(
        state,
        &system,
        contests::NewContest {
            slug: SLUG.to_owned(),
            title: "Tự hào Việt Nam".to_owned(),
            description: "Cuộc thi trực tuyến tìm hiểu lịch sử dân tộc Việt Nam dành cho đoàn viên, thanh niên, học sinh tỉnh An Giang.".to_owned(),
            owner_unit_id: province.id,
            audience: Default::default(),
            ranking: RankingRule::default(),
            prizes: PrizeRule {
                tiers: vec![tier("Giải Nhất", 1), tier("Giải Nhì", 2), tier("Giải Ba", 3), tier("Giải Khuyến khích", 10)],
                max_share_percent: 10,
                min_correct: 5,
            },
            one_prize_per_person: true,
        },
    )
    .await?;
    let now = state.clock.now();
    contests::add_round(
        state,
        &system,
        contest.id,
        contests::NewRound {
            title: "Tuần 1".to_owned(),
            opens_at: now - chrono::Duration::hours(1),
            closes_at: now + chrono::Duration::days(7),
            draw: vec![DrawRule {
                bank: "lich-su-viet-nam".into(),
                tags: vec![],
                difficulty: vec![],
                count: 10,
            }],
            time_limit_minutes: 10,
            attempts_allowed: 3,
            prediction_question: Some(
                "Theo bạn, tuần này có bao nhiêu người trả lời đúng tất cả các câu hỏi?".to_owned(),
            ),
        },
    )
    .await?;
    Ok(Some(contest.title))
}

/// Number of district-level units in the demo tree (for tests).
pub const DEMO_DISTRICTS: usize = DISTRICTS.len();
